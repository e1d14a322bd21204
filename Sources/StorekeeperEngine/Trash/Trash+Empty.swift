import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

extension Trash {
    /// Removes every entry deleted at least `seconds` before `now` (all of them
    /// when nil; none for -1, "keep forever"): its file or folder first, then
    /// its info file, then its row, with a `delete` event. Entries with a
    /// problem go by the time they are aged by (see `TrashedItem.Problem`). An
    /// entry that cannot be removed is reported in `failures` and left.
    public func empty(olderThan seconds: Int64?, now: Int64, cause: TrashPurgeCause = .retention) throws -> TrashPurge {
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
                        newPath: item.trashName, category: item.category, size: item.size, cause: cause.rawValue,
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

    private func record(purged item: TrashedItem, freed: Int64, cause: TrashPurgeCause) throws {
        try store.write {
            try store.deleteTrashRow(item.trashName)
            try store.addCleanupTotals(
                category: item.category ?? IndexStore.unknownCategory, reason: .trashPurge, files: 1, bytes: freed,
                errors: 0)
            try store.record(
                IndexEvent(
                    time: clock(), action: .delete, path: item.originalPath.isEmpty ? nil : item.originalPath,
                    newPath: item.trashName, category: item.category, size: freed, cause: cause.rawValue,
                    detail: item.problem.map { "\($0)" }))
        }
    }
}
