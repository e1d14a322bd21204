import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

extension Trash {
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
            // The info file first, created exclusively: that reserves the name
            // (trash spec), and a crash before the rename leaves an info file
            // without its file, which `list` reports and `empty` clears.
            guard try reserve(trashName, contents: contents) else { continue }
            do {
                try parent.renameWithoutReplacing(name, to: files, as: trashName)
            } catch {
                removeInfo(trashName)
                // An orphan in files/ holds this name: take the next one.
                if error.errno == EEXIST || error.errno == ENOTEMPTY { continue }
                throw TrashError(
                    error.errno == EXDEV ? .otherFilesystem : .system, path: originalPath, underlying: error)
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
        if keep < name.count,
            let boundary = (max(1, keep - 3)...keep).reversed().first(where: { name[$0] & 0xC0 != 0x80 })
        {
            keep = boundary
        }
        return Array(name[..<keep]) + suffix
    }

    /// Creates `info/NAME.trashinfo` exclusively; false when the name is taken.
    private func reserve(_ trashName: [UInt8], contents: [UInt8]) throws -> Bool {
        let infoName = trashName + Self.infoSuffix
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                infoName, relativeTo: info, access: .writeOnly, options: [.create, .exclusive, .noFollow], mode: 0o600)
        } catch {
            guard error.errno == EEXIST else { throw error }
            return false
        }
        do {
            try descriptor.write(contents, path: infoName)
        } catch {
            descriptor.close()
            removeInfo(trashName)
            throw error
        }
        return true
    }
}
