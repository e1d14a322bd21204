import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// The trash: `<base>/.trash` in the freedesktop.org layout (`files/NAME`,
/// `info/NAME.trashinfo`), so trash-cli and file managers can list and restore
/// what the cleaner put there. Items only ever move by `rename` on the base's
/// filesystem; a trash elsewhere is refused and nothing is ever copied.
///
/// The folders are the truth. The index's `trash` table mirrors them (sizes,
/// categories, exact times) so `usage()` is one row read; `list()` resyncs it
/// with whatever other tools did. Not `Sendable`: it owns descriptors.
public final class Trash {
    static let infoSuffix: [UInt8] = Array(".trashinfo".utf8)
    /// Longest trash name: `NAME.trashinfo` must fit NAME_MAX (255 bytes).
    static let nameLimit = 255 - infoSuffix.count
    /// A `.trashinfo` is a few hundred bytes; anything far larger is not one.
    static let infoSizeLimit = 65_536

    private let store: IndexStore
    private let clock: () -> Int64
    private let basePath: String
    private let trashPath: String
    let base: FileDescriptor
    let device: UInt64
    /// How the trash reaches below the base and below its own folders.
    let chain: DirectoryChain
    private let files: FileDescriptor
    private let info: FileDescriptor
    /// The base as configured and as `realpath` sees it: absolute `Path=`
    /// values under either are ours (trash-cli writes the real path).
    private let basePrefixes: [[[UInt8]]]
    private let categoryDirectories: Set<[UInt8]>
    /// The next collision attempt per name, so a run trashing thousands of
    /// `frame_0001.jpg` does not probe every taken suffix again for each.
    private var nextAttempt: [[UInt8]: Int] = [:]
    /// What trash-cli resolves relative `Path=` values against.
    private lazy var mountPoint: [UInt8] = PathBytes.bytes(MountPoint.containing(trashPath))

    /// Opens the trash of `layout`, creating `.trash`, `files/` and `info/`
    /// (0700) where missing. Refused when one of them is a symlink, not a
    /// folder, or on another filesystem than the base.
    public init(layout: StorageLayout, store: IndexStore, now: @escaping () -> Int64 = WallClock.now) throws {
        self.store = store
        clock = now
        basePath = layout.basePath
        trashPath = layout.trashDirectory
        base = try FileDescriptor.open(PathBytes.bytes(basePath), flags: O_RDONLY | O_DIRECTORY)
        device = try base.status().device
        chain = try DirectoryChain(base: base)
        let shown = PathBytes.bytes(trashPath)
        let trash = try Self.folder(shown, in: nil, device: device, shownAs: shown)
        files = try Self.folder(Array("files".utf8), in: trash, device: device, shownAs: shown + Array("/files".utf8))
        info = try Self.folder(Array("info".utf8), in: trash, device: device, shownAs: shown + Array("/info".utf8))
        var prefixes = [Self.normalized(PathBytes.bytes(basePath))]
        if let real = realpath(basePath, nil) {
            let resolved = Self.normalized(PathBytes.bytes(String(cString: real)))
            free(real)
            if resolved != prefixes[0] { prefixes.append(resolved) }
        }
        basePrefixes = prefixes
        categoryDirectories = layout.categoryDirectories
    }

    // MARK: Put

    /// Moves `name`, an entry of the already-verified open directory `parent`
    /// whose path relative to the base is `originalPath`, into the trash, and
    /// records its row. All or nothing: when this throws, the entry is where it was.
    ///
    /// The event log entry is the caller's: it knows the cause (expired,
    /// quota) and the run.
    public func put(
        from parent: FileDescriptor, name: [UInt8], originalPath: [UInt8], category: String, size: Int64,
        deletedAt: Int64
    ) throws -> TrashedItem {
        precondition(
            !name.isEmpty && !name.contains(PathBytes.separator) && name != [0x2E] && name != [0x2E, 0x2E],
            "not a name: \(PathBytes.display(name))")
        let contents = TrashInfo(
            path: PathBytes.join(PathBytes.bytes(basePath), originalPath),
            deletionDate: DeletionDate(localTimeOf: deletedAt)
        ).serialized
        var attempt = nextAttempt[name] ?? 0
        while true {
            let trashName = Self.trashName(name, attempt: attempt)
            attempt += 1
            // The info file first, created with O_EXCL: that reserves the name
            // (trash spec), and a crash before the rename leaves an info file
            // without its file, which `list` reports and `empty` clears.
            guard try reserve(trashName, contents: contents) else { continue }
            do {
                try parent.renameWithoutReplacing(name, to: files, as: trashName)
            } catch {
                removeInfo(trashName)
                // An orphan in files/ holds this name: take the next one.
                if error.errno == EEXIST || error.errno == ENOTEMPTY { continue }
                throw TrashError(error.errno == EXDEV ? .otherFilesystem : .system, path: originalPath, underlying: error)
            }
            nextAttempt[name] = attempt
            let item = TrashedItem(
                trashName: trashName, originalPath: originalPath, deletedAt: deletedAt, size: size, category: category)
            do {
                try store.saveTrashRow(item)
            } catch {
                // Undo, so the caller's view (the file is where it was) holds.
                // If even that fails, the item stays trashed and listed.
                if (try? files.renameWithoutReplacing(trashName, to: parent, as: name)) != nil { removeInfo(trashName) }
                throw error
            }
            return item
        }
    }

    /// `name` itself, then `name_1` … `name_99` like trash-cli, then random
    /// suffixes; cut (at a UTF-8 boundary) so `NAME.trashinfo` fits 255 bytes.
    static func trashName(_ name: [UInt8], attempt: Int) -> [UInt8] {
        let number = attempt < 100 ? UInt64(attempt) : UInt64.random(in: 100...UInt64(UInt32.max))
        let suffix: [UInt8] = attempt == 0 ? [] : Array("_\(number)".utf8)
        var keep = min(name.count, nameLimit - suffix.count)
        if keep < name.count, let boundary = (max(1, keep - 3)...keep).reversed().first(where: { name[$0] & 0xC0 != 0x80 }) {
            keep = boundary
        }
        return Array(name[..<keep]) + suffix
    }

    /// Creates `info/NAME.trashinfo` exclusively; false when the name is taken.
    private func reserve(_ trashName: [UInt8], contents: [UInt8]) throws -> Bool {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                trashName + Self.infoSuffix, relativeTo: info, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                mode: 0o600)
        } catch {
            guard error.errno == EEXIST else { throw error }
            return false
        }
        do {
            try descriptor.write(contents)
        } catch {
            descriptor.close()
            removeInfo(trashName)
            throw error
        }
        return true
    }

    /// Removes an info file; one already gone is fine. Used where a failure
    /// is already being reported, or where the item is gone either way.
    private func removeInfo(_ trashName: [UInt8]) {
        _ = PathBytes.withCString(trashName + Self.infoSuffix) { unlinkat(info.rawValue, $0, 0) }
    }

    private func unlinkInfo(_ trashName: [UInt8]) throws(SystemCallError) {
        do {
            let infoName = trashName + Self.infoSuffix
            _ = try retryingEINTR("unlinkat", path: Array((trashPath + "/info/").utf8) + infoName) {
                PathBytes.withCString(infoName) { unlinkat(info.rawValue, $0, 0) }
            }
        } catch where error.errno == ENOENT {}
    }

    // MARK: List

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
            $0.deletedAt != $1.deletedAt ? $0.deletedAt < $1.deletedAt : $0.trashName.lexicographicallyPrecedes($1.trashName)
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
            row.originalPath == originalPath && parsed.deletionDate.isLocalTime(ofSomeZoneFor: row.deletedAt) ? row : nil
        }
        let problem: TrashedItem.Problem? = !insideBase ? .outsideBase : (hasFile ? nil : .missingFile)
        return TrashedItem(
            trashName: trashName, originalPath: originalPath,
            deletedAt: matching?.deletedAt ?? parsed.deletionDate.secondsSinceEpoch,
            size: hasFile ? matching?.size ?? measured() : 0, category: matching?.category, problem: problem)
    }

    private func readInfo(_ infoName: [UInt8]) throws -> [UInt8] {
        let descriptor = try FileDescriptor.open(infoName, relativeTo: info, flags: O_RDONLY | O_NOFOLLOW)
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = try retryingEINTR("read", path: infoName) { Glibc.read(descriptor.rawValue, &buffer, buffer.count) }
            if count == 0 { return contents }
            contents += buffer[0..<count]
            if contents.count > Self.infoSizeLimit {
                throw TrashInfo.ParseError(message: "larger than \(Self.infoSizeLimit) bytes")
            }
        }
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
        try store.database.transaction {
            for trashName in stale { try store.deleteTrashRow(trashName) }
            for item in changed { try store.saveTrashRow(item) }
        }
    }

    // MARK: Restore

    /// Moves the newest item trashed from `originalPath` (relative to the base)
    /// back. Refused when anything exists there now; missing parent folders
    /// are recreated (0755) through an `openat` chain that never follows a symlink.
    public func restore(originalPath: [UInt8]) throws -> TrashedItem {
        let components = PathBytes.components(originalPath)
        guard let name = components.last, !components.contains([0x2E]), !components.contains([0x2E, 0x2E]) else {
            throw TrashError(.invalidPath, path: originalPath)
        }
        let path = Array(components.joined(separator: [PathBytes.separator]))
        // Anywhere else, a crafted .trashinfo would plant files in the index's
        // folder or the trash's own, which the next reconcile would index.
        guard components.count >= 2, categoryDirectories.contains(components[0]) else {
            throw TrashError(.outsideCategories, path: path)
        }
        guard let item = try list().last(where: { $0.problem == nil && $0.originalPath == path }) else {
            throw TrashError(.notInTrash, path: path)
        }
        let parent = try openParent(components.dropLast(), of: path)
        do {
            try files.renameWithoutReplacing(item.trashName, to: parent, as: name)
        } catch {
            switch error.errno {
            case EEXIST, ENOTEMPTY: throw TrashError(.occupied, path: path, underlying: error)
            case EXDEV: throw TrashError(.otherFilesystem, path: path, underlying: error)
            default: throw TrashError(.system, path: path, underlying: error)
            }
        }
        try unlinkInfo(item.trashName)
        try store.database.transaction {
            try store.deleteTrashRow(item.trashName)
            try store.noteRestore(path, at: clock())
            try store.record(
                IndexEvent(
                    time: clock(), action: .restore, path: path, newPath: item.trashName, category: item.category,
                    size: item.size, cause: "manual"))
        }
        return item
    }

    /// The folder that will hold `path`, reached from the base one real folder
    /// at a time through the `DirectoryChain` (no symlink, no mount point),
    /// creating what is missing.
    private func openParent(_ components: ArraySlice<[UInt8]>, of path: [UInt8]) throws -> FileDescriptor {
        var directory = base
        var walked: [UInt8] = []
        for component in components {
            walked = PathBytes.join(walked, component)
            do {
                directory = try openOrCreate(component, in: directory, path: walked)
            } catch {
                switch error.kind {
                case .invalidPath: throw TrashError(.invalidPath, path: path)
                case .mountPoint: throw TrashError(.otherFilesystem, path: path)
                case .system:
                    if error.errno == ELOOP || error.errno == ENOTDIR { throw TrashError(.blockedParent, path: path) }
                    throw TrashError(.system, path: path, underlying: error.underlying)
                }
            }
        }
        return directory
    }

    private func openOrCreate(_ component: [UInt8], in directory: FileDescriptor, path: [UInt8])
        throws(DirectoryChainError) -> FileDescriptor
    {
        do {
            return try chain.openChild(component, in: directory, path: path)
        } catch where error.kind == .system && error.errno == ENOENT {
            do {
                _ = try retryingEINTR("mkdirat", path: path) {
                    PathBytes.withCString(component) { mkdirat(directory.rawValue, $0, 0o755) }
                }
            } catch where error.errno == EEXIST {
                // Created meanwhile by someone else: use theirs.
            } catch {
                throw DirectoryChainError(.system, path: path, underlying: error)
            }
            let created = try chain.openChild(component, in: directory, path: path)
            // The umask may have narrowed it; the layout promises 0755 folders.
            do {
                _ = try retryingEINTR("fchmod", path: path) { fchmod(created.rawValue, 0o755) }
            } catch {
                throw DirectoryChainError(.system, path: path, underlying: error)
            }
            return created
        }
    }

    // MARK: Empty

    /// Removes every entry deleted at least `seconds` before `now` (all of them
    /// when nil; none for -1, "keep forever"): its file or folder first, then
    /// its info file, then its row, with a `delete` event. Entries with a
    /// problem go by the time they are aged by (see `TrashedItem.Problem`). An
    /// entry that cannot be removed is reported in `failures` and left.
    public func empty(olderThan seconds: Int64?, now: Int64, cause: String = "trash_retention") throws -> TrashPurge {
        var purge = TrashPurge()
        if let seconds, seconds < 0 { return purge }
        for item in try list() where seconds.map({ now - item.deletedAt >= $0 }) ?? true {
            let freed: Int64
            do {
                freed = try files.removeTree(item.trashName, within: chain)
                try unlinkInfo(item.trashName)
            } catch {
                purge.failures.append("\(PathBytes.display(item.trashName)): \(error)")
                try? store.addCleanupTotals(
                    category: item.category ?? IndexStore.unknownCategory, reason: .trashPurge, files: 0, bytes: 0,
                    errors: 1)
                try? store.record(
                    IndexEvent(
                        time: clock(), action: .error, path: item.originalPath.isEmpty ? nil : item.originalPath,
                        newPath: item.trashName, category: item.category, size: item.size, cause: cause,
                        detail: "cannot purge from the trash: \(error)"))
                continue
            }
            purge.files += 1
            purge.bytes = purge.bytes.addingSaturating(freed)
            // The entry is gone whatever the index says; on a full disk its row
            // waits for the next `list`, and the purge goes on freeing space.
            do {
                try record(purged: item, freed: freed, cause: cause)
            } catch let error as DatabaseError where error.isTransient {
                purge.unrecorded += 1
            }
        }
        return purge
    }

    private func record(purged item: TrashedItem, freed: Int64, cause: String) throws {
        try store.database.transaction {
            try store.deleteTrashRow(item.trashName)
            try store.addCleanupTotals(
                category: item.category ?? IndexStore.unknownCategory, reason: .trashPurge, files: 1, bytes: freed,
                errors: 0)
            try store.record(
                IndexEvent(
                    time: clock(), action: .delete, path: item.originalPath.isEmpty ? nil : item.originalPath,
                    newPath: item.trashName, category: item.category, size: freed, cause: cause,
                    detail: item.problem.map { "\($0)" }))
        }
    }

    // MARK: Usage

    /// Items and bytes in the trash, from the index alone (one row).
    public func usage() throws -> (files: Int64, bytes: Int64) {
        try store.trashUsage()
    }

    // MARK: Folders

    /// Creates (0700) and opens one of the trash's folders, refusing a symlink,
    /// a non-folder, or another filesystem.
    private static func folder(_ name: [UInt8], in parent: FileDescriptor?, device: UInt64, shownAs shown: [UInt8])
        throws -> FileDescriptor
    {
        let directory = parent?.rawValue ?? AT_FDCWD
        do {
            _ = try retryingEINTR("mkdirat", path: shown) { PathBytes.withCString(name) { mkdirat(directory, $0, 0o700) } }
        } catch {
            // Already there is fine: it is checked below like a new one.
            guard error.errno == EEXIST else { throw error }
        }
        let folder: FileDescriptor
        do {
            folder = try FileDescriptor.openDirectory(name, relativeTo: parent)
        } catch {
            guard error.errno == ELOOP || error.errno == ENOTDIR else { throw error }
            throw TrashError(.notADirectory, path: shown, underlying: error)
        }
        guard try folder.status().device == device else { throw TrashError(.otherFilesystem, path: shown) }
        return folder
    }
}
