import StorekeeperSystem

/// The index file is damaged. Nothing it says can be trusted, so the command
/// stops, and the message says how to get a good index back: the index holds
/// nothing the disk cannot tell again except history (events, cleanup runs).
public struct IndexCorruption: Error, Equatable, CustomStringConvertible {
    public let path: String
    /// What SQLite said: its error message or the first findings of its check.
    public let detail: String

    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }

    public var description: String {
        "the index \(path) is corrupt: \(detail). Move it aside (with \(path)-wal and "
            + "\(path)-shm if they exist), then run 'storekeeper init' and 'storekeeper scan' (or restart the "
            + "daemon after 'init') to rebuild it"
    }
}

extension IndexStore {
    /// SQLite's `PRAGMA quick_check`: every page of the file is read, so
    /// damage in pages a query would never touch (the rows behind an index)
    /// is still found. It costs a read of the whole file (about 0.1 s per
    /// 100k files), so only commands that act on what the index says run it.
    public func checkIntegrity() throws {
        var findings: [String] = []
        do {
            // The first findings name the damage well enough; the rest repeat it page by page.
            try database.statement("PRAGMA quick_check(3)").forEachRow { row in
                findings += row.string(0).split(separator: "\n").map(String.init).filter { !$0.hasPrefix("***") }
            }
        } catch let error as DatabaseError where error.isCorrupt {
            throw IndexCorruption(path: database.path, detail: error.message)
        }
        guard findings == ["ok"] else {
            throw IndexCorruption(path: database.path, detail: findings.joined(separator: "; "))
        }
        lastPassedIntegrityCheck = MonotonicClock.seconds()
    }

    /// `checkIntegrity`, unless it passed on this connection within `seconds`.
    public func checkIntegrity(unlessPassedWithin seconds: Double) throws {
        if let last = lastPassedIntegrityCheck, MonotonicClock.seconds() - last < seconds { return }
        try checkIntegrity()
    }
}
