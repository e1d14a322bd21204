import CSQLite

/// A failed SQLite call, as data: the result code, SQLite's message, and the
/// SQL that was running, so a log line alone says what went wrong where.
public struct DatabaseError: Error, Equatable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`SQLITE_BUSY` for `SQLITE_BUSY_SNAPSHOT`, …).
    public var primaryCode: Int32 { code & 0xFF }

    /// Another connection holds the lock (an operator's `sqlite3` in a
    /// transaction): the same work succeeds later.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// The filesystem has no room for the write (the WAL or its shared-memory
    /// file cannot grow): the same work succeeds once space is freed.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL || code == Self.shmSizeError }

    /// `SQLITE_IOERR_SHMSIZE`, a macro expression Swift does not import.
    static let shmSizeError = SQLITE_IOERR | (19 << 8)

    /// The file is damaged or not a database: no retry helps, a rebuild does.
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    /// Worth retrying as it is, with the changes kept: busy or out of space.
    public var isTransient: Bool { isBusy || isDiskFull }

    public var description: String {
        let name = String(cString: sqlite3_errstr(code))
        var text = "SQLite error \(code) (\(name)): \(message)"
        if let sql { text += " — while running: \(sql)" }
        return text
    }
}
