import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

extension Trash {
    /// Everything in the trash, oldest first, read from `info/` and `files/`;
    /// the index's `trash` table is brought in line with what was read.
    public func list() throws -> [TrashedItem] {
        let rows = try store.trashRows()
        var unpaired = Set(try files.readEntries().map(\.name))
        var items: [TrashedItem] = []
        for entry in try info.readEntries() where entry.name.count > Self.infoSuffix.count {
            // Other files in info/ (a tool's temporary file) are not entries.
            guard entry.name.suffix(Self.infoSuffix.count).elementsEqual(Self.infoSuffix) else { continue }
            let trashName = Array(entry.name.dropLast(Self.infoSuffix.count))
            let hasFile = unpaired.remove(trashName) != nil
            if let item = item(trashName, hasFile: hasFile, row: rows[trashName]) { items.append(item) }
        }
        for trashName in unpaired {
            // Aged by ctime: the rename into files/ set it; the mtime is the file's own.
            var status = stat()
            guard PathBytes.withCString(trashName, { fstatat(files.rawValue, $0, &status, AT_SYMLINK_NOFOLLOW) }) == 0
            else { continue }
            items.append(
                TrashedItem(
                    trashName: trashName, originalPath: [], deletedAt: Int64(status.st_ctim.tv_sec),
                    size: (try? files.treeSize(of: trashName, within: chain)) ?? 0, category: nil,
                    problem: .missingInfo))
        }
        do {
            try resync(rows, with: items)
        } catch let error as DatabaseError where error.isTransient {
            // What is listed comes from the disk; the rows catch up next time.
        }
        return items.sorted {
            $0.deletedAt != $1.deletedAt
                ? $0.deletedAt < $1.deletedAt : $0.trashName.lexicographicallyPrecedes($1.trashName)
        }
    }

    /// The entry for one info file, or nil when it vanished while being read.
    private func item(_ trashName: [UInt8], hasFile: Bool, row: TrashedItem?) -> TrashedItem? {
        let infoName = trashName + Self.infoSuffix
        guard let infoStatus = try? info.status(of: infoName) else { return nil }
        let measured = { hasFile ? (try? self.files.treeSize(of: trashName, within: self.chain)) ?? 0 : 0 }
        let parsed: TrashInfo
        do {
            parsed = try TrashInfo.parse(try readInfo(infoName))
        } catch {
            return TrashedItem(
                trashName: trashName, originalPath: [], deletedAt: infoStatus.mtime, size: measured(), category: nil,
                problem: .invalidInfo("\(error)"))
        }
        let (originalPath, insideBase) = resolve(parsed.path)
        // Our row (same name, same path) keeps the instant, size and category
        // it was trashed with. The file's DeletionDate is local time in a zone
        // it does not name, so it is never turned back into an instant for an
        // item we have a row for: read under another TZ it would move the
        // deletion by hours. Only a date no zone could give for the row's
        // instant says another tool reused the name.
        let matching = row.flatMap { row in
            row.originalPath == originalPath && parsed.deletionDate.isLocalTime(ofSomeZoneFor: row.deletedAt)
                ? row : nil
        }
        let problem: TrashedItem.Problem? = !insideBase ? .outsideBase : (hasFile ? nil : .missingFile)
        return TrashedItem(
            trashName: trashName, originalPath: originalPath,
            deletedAt: matching?.deletedAt ?? parsed.deletionDate.secondsSinceEpoch,
            size: hasFile ? matching?.size ?? measured() : 0, category: matching?.category, problem: problem)
    }

    private func readInfo(_ infoName: [UInt8]) throws -> [UInt8] {
        let descriptor = try FileDescriptor.open(infoName, relativeTo: info, access: .readOnly, options: .noFollow)
        let contents = try descriptor.readToEnd(limit: Self.infoSizeLimit, path: infoName)
        if contents.count > Self.infoSizeLimit {
            throw TrashInfo.ParseError(message: "larger than \(Self.infoSizeLimit) bytes")
        }
        return contents
    }

    /// A decoded `Path=` as a path relative to the base, or as the absolute
    /// path it names when that is not inside the base. Relative values (other
    /// tools) are taken against the mount point, as trash-cli does.
    private func resolve(_ path: [UInt8]) -> (path: [UInt8], insideBase: Bool) {
        let absolute = path.first == PathBytes.separator ? path : mountPoint + [PathBytes.separator] + path
        let components = Self.normalized(absolute)
        for prefix in basePrefixes where components.count > prefix.count && components.starts(with: prefix) {
            return (Array(components.dropFirst(prefix.count).joined(separator: [PathBytes.separator])), true)
        }
        return ([PathBytes.separator] + Array(components.joined(separator: [PathBytes.separator])), false)
    }

    /// The components of an absolute path with `.` and `..` resolved as text.
    static func normalized(_ path: [UInt8]) -> [[UInt8]] {
        var components: [[UInt8]] = []
        for component in PathBytes.components(path) where component != [0x2E] {
            if component == [0x2E, 0x2E] {
                _ = components.popLast()
            } else {
                components.append(component)
            }
        }
        return components
    }

    /// Rows for the sound items and nothing else, written only where they differ.
    private func resync(_ rows: [[UInt8]: TrashedItem], with items: [TrashedItem]) throws {
        var wanted: [[UInt8]: TrashedItem] = [:]
        for item in items where item.problem == nil { wanted[item.trashName] = item }
        let stale = rows.keys.filter { wanted[$0] == nil }
        let changed = wanted.values.filter { rows[$0.trashName] != $0 }
        guard !stale.isEmpty || !changed.isEmpty else { return }
        try store.write {
            for trashName in stale { try store.deleteTrashRow(trashName) }
            for item in changed { try store.saveTrashRow(item) }
        }
    }
}
