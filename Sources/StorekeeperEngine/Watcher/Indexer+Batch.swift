import StorekeeperIndex
import StorekeeperSystem

/// Applying a gathered batch: directory changes and every name to look at
/// again in one transaction, then the folders to read and watch whole.
extension Indexer {
    /// Applies the gathered batch in one transaction. When the index cannot
    /// take it (another process holds the write lock, or the disk is full),
    /// nothing is dropped: the batch stays gathered, grows with what arrives
    /// meanwhile, and is applied whole on a later turn — every entry in it is
    /// a path to `lstat` again, so applying it late is as exact as applying it now.
    func applyBatch() throws {
        if batch.needsFullReconcile {
            // A full reconcile covers everything gathered so far.
            batch = IndexerBatch()
            try reconcileEverything(reason: "lost events")
            return
        }
        guard !batch.isEmpty else { return }

        let time = now()
        var directoriesFound: [[UInt8]] = []
        defer { parents.reset() }
        try store.write {
            for change in batch.structural { try apply(change, time: time) }
            var created = NewFiles()
            for key in batch.dirty {
                guard let directory = watches.path(of: key.watch) else { continue }
                if let found = try refresh(PathBytes.join(directory, key.name), time: time, created: &created) {
                    directoriesFound.append(found)
                }
            }
            try insert(created, time: time)
        }
        status.lastCommitAt = time
        var subtrees = batch.newDirectories.compactMap { key in
            watches.path(of: key.watch).map { PathBytes.join($0, key.name) }
        }
        subtrees += directoriesFound + batch.subtreesToReconcile
        batch = IndexerBatch()
        // A reconcile that fails leaves itself and the ones after it for the next turn.
        while let subtree = subtrees.first {
            do {
                try reconcileSubtree(subtree)
            } catch {
                batch.subtreesToReconcile = subtrees
                throw error
            }
            subtrees.removeFirst()
        }
        status.watches = watches.count
    }

    private func apply(_ change: IndexerBatch.StructuralChange, time: Int64) throws {
        switch change {
        case .moved(let from, let to):
            let moved = try store.moveSubtree(from, to: to, categorizer: categorizer)
            status.moved += 1
            try store.record(
                IndexEvent(
                    time: time, action: .move, path: from, newPath: to, category: categorizer.category(of: to + [0x2F]),
                    cause: "watcher", detail: "directory, files=\(moved)"))
        case .removed(let path):
            let removed = try store.deleteSubtree(path)
            if removed > 0 {
                status.deleted += 1
                try store.record(
                    IndexEvent(
                        time: time, action: .delete, path: path, cause: "watcher",
                        detail: "directory, files=\(removed)"))
            }
        }
    }

    /// Brings one path's row in line with `lstat`. Returns the path when it
    /// turned out to be a directory, which is then read and watched.
    private func refresh(_ path: [UInt8], time: Int64, created: inout NewFiles) throws -> [UInt8]? {
        var linked: Set<UInt64> = []
        let directory = try refreshName(path, time: time, linked: &linked, created: &created)
        if !linked.isEmpty { try refreshOtherNames(of: linked, except: path, time: time) }
        return directory
    }

    /// `refresh` for one name; `linked` gets the inodes whose other names need a look.
    private func refreshName(
        _ path: [UInt8], time: Int64, linked: inout Set<UInt64>, created: inout NewFiles
    ) throws -> [UInt8]? {
        // A name met twice in one batch (two watches of one folder): the later look decides.
        created.remove(path)
        let onDisk: FileStatus?
        do {
            onDisk = try parents.status(of: path)
        } catch {
            logger.warning(
                "cannot stat; reconciling its folder", ["path": PathBytes.display(path), "error": error.description])
            batch.subtreesToReconcile.append(
                PathBytes.components(path).dropLast().reduce([]) { PathBytes.join($0, $1) })
            return nil
        }
        let row = try store.file(at: path)
        // A write, truncate or utime through one name changes what every name
        // of the inode shows, and a name going changes the others' link count,
        // but inotify reports only the name used.
        if let row, row.nlink > 1 { linked.insert(row.inode) }
        if let onDisk, onDisk.isIndexed, onDisk.nlink > 1 { linked.insert(onDisk.inode) }
        guard let onDisk, onDisk.isIndexed, onDisk.device == baseDevice else {
            if let row { try removed(row, time: time) }
            return onDisk?.kind == .directory ? path : nil
        }
        let file = IndexedFile(path: path, category: categorizer.category(of: path), status: onDisk)
        if let source = batch.fileRenames.sourceByDestination[path] {
            try renamed(from: source, to: file, row: row, time: time)
        } else if let row {
            try changed(row, to: file, time: time)
        } else {
            created.add(file)
        }
        return nil
    }

    /// The batch's new files, with their `create` events. A burst's go in
    /// together (`insertNew`: the triggers' work once for all of them); a
    /// few go in row by row, since switching the triggers off and on makes
    /// every statement compile again.
    private func insert(_ created: NewFiles, time: Int64) throws {
        guard !created.files.isEmpty else { return }
        if created.files.count >= Self.newFilesInsertedTogether {
            try store.insertNew(created.files, now: time)
        } else {
            for file in created.files { try store.insert(file, now: time) }
        }
        try store.record(
            created.files.map { file in
                IndexEvent(
                    time: time, action: .create, path: file.path, category: file.category, size: file.size,
                    cause: "watcher")
            })
        status.created += created.files.count
    }

    /// The name is gone (or no longer a file we index): its row goes.
    private func removed(_ row: IndexedFile, time: Int64) throws {
        try store.delete(path: row.path)
        if batch.fileRenames.movedAway.contains(row.path) { return }  // logged as the move's destination
        status.deleted += 1
        try store.record(
            IndexEvent(
                time: time, action: .delete, path: row.path, category: row.category, size: row.size, cause: "watcher"))
    }

    /// A rename (an atomic save, too): one `move` event, whatever the row held.
    private func renamed(from source: [UInt8], to file: IndexedFile, row: IndexedFile?, time: Int64) throws {
        if let row {
            if !row.differences(from: file).isEmpty { try store.update(file) }
        } else {
            try store.insert(file, now: time)
        }
        status.moved += 1
        try store.record(
            IndexEvent(
                time: time, action: .move, path: source, newPath: file.path, category: file.category, size: file.size,
                cause: "watcher"))
    }

    /// A name whose row may no longer match the disk: updated and logged when it does not.
    private func changed(_ row: IndexedFile, to file: IndexedFile, time: Int64) throws {
        let differences = row.differences(from: file)
        guard !differences.isEmpty else { return }
        try store.update(file)
        status.modified += 1
        try store.record(
            IndexEvent(
                time: time, action: .modify, path: file.path, category: file.category, size: file.size,
                cause: "watcher",
                detail: differences.joined(separator: ", ")))
    }

    /// Brings the other indexed names of `inodes` in line with `lstat`. A name
    /// that is gone is left to its own event (removing a name always makes one).
    private func refreshOtherNames(of inodes: Set<UInt64>, except path: [UInt8], time: Int64) throws {
        for inode in inodes.sorted() {
            for row in try store.files(withInode: inode) where row.path != path {
                // Unreadable now: its own event, or the next reconcile, tells.
                guard let onDisk = try? parents.status(of: row.path), onDisk.isIndexed, onDisk.device == baseDevice
                else { continue }
                try changed(
                    row, to: IndexedFile(path: row.path, category: categorizer.category(of: row.path), status: onDisk),
                    time: time)
            }
        }
    }
}

/// Files a batch found on disk with no row, inserted at the batch's end.
/// Nothing else in the batch reads their rows: each name is looked at once
/// (`IndexerBatch.dirty`), and a second look at it replaces the first.
struct NewFiles {
    private(set) var files: [IndexedFile] = []
    private var places: [[UInt8]: Int] = [:]

    mutating func add(_ file: IndexedFile) {
        places[file.path] = files.count
        files.append(file)
    }

    mutating func remove(_ path: [UInt8]) {
        guard !places.isEmpty, let place = places.removeValue(forKey: path) else { return }
        files.remove(at: place)
        for (other, index) in places where index > place { places[other] = index - 1 }
    }
}
