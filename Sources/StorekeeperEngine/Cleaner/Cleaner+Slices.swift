import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Paging a policy's candidates, removing them slice by slice, and the
/// folders the removals emptied.
extension Cleaner {
    // MARK: The slice loop

    /// Pages through `policy`'s rows oldest first (before `cutoff` when given),
    /// verifies and removes each, records each slice in one transaction, and
    /// stops when `enough` says so after a removal, or when no rows remain.
    func removeOldest(
        _ policy: CategoryPolicy, cause: CleanupCause, before cutoff: Int64?, _ run: inout Run,
        stillWanted: (IndexedFile, FileStatus) -> Bool, enough: (Int64) -> Bool
    ) throws {
        let sliceSize = max(1, configuration.cleanup.batchSize)
        var key: IndexStore.CandidateKey?
        var satisfied = false
        while !satisfied && !run.capReached {
            let page = try store.candidates(
                category: policy.key, ageBy: policy.ageBy, before: cutoff, after: key, limit: sliceSize,
                forSpace: cause.isEviction)
            guard let last = page.last else { return }
            key = IndexStore.CandidateKey(ageReference: last.ageReference, id: last.id)

            guard let remover = run.remover else { return }
            var outcomes: [Verdict] = []
            for candidate in inFolderOrder(page, cause: cause, run) where !run.skipped.contains(candidate.file.path) {
                let outcome = remover.remove(
                    candidate.file, deletedAt: run.startedAt, toTrash: !run.deleteInsteadOfTrash,
                    enteredAt: candidate.enteredAt
                ) { stillWanted(candidate.file, $0) }
                outcomes.append((candidate.file, candidate.id, outcome))
                if case .skipped = outcome { run.skipped.insert(candidate.file.path) }
                if case .removed(_, let freed) = outcome {
                    run.removedCount += 1
                    if enough(freed) { satisfied = true }
                    if let cap = configuration.cleanup.maxFilesPerRun, run.removedCount >= cap { run.capReached = true }
                    if satisfied || run.capReached { break }
                }
            }
            try record(outcomes, policy: policy, cause: cause, &run)
            try betweenSlices?()
        }
    }

    /// An expiry slice in path order, so the files of one folder follow one
    /// another and the remover reaches them through the folders it keeps
    /// open. Every file of such a slice is taken, whatever its order; an
    /// eviction stops once it freed enough, and a run may stop at its file
    /// cap within the slice: those keep the oldest-first order.
    func inFolderOrder(_ page: [IndexStore.Candidate], cause: CleanupCause, _ run: Run) -> [IndexStore.Candidate] {
        guard !cause.isEviction else { return page }
        if let cap = configuration.cleanup.maxFilesPerRun, run.removedCount + page.count >= cap { return page }
        return page.sorted { $0.file.path.lexicographicallyPrecedes($1.file.path) }
    }

    // MARK: Empty folders

    /// Removes folders the run emptied, walking up, never a category root (or
    /// the base) and never one that still holds anything (a `.gitkeep` included):
    /// `rmdir` refuses a non-empty folder, so a file written meanwhile is safe.
    func removeEmptiedDirectories(_ directories: Set<[UInt8]>) -> Int {
        guard
            let base = try? FileDescriptor.open(
                PathBytes.bytes(layout.basePath), access: .readOnly, options: .directory),
            let parents = try? ParentDirectories(base: base)
        else { return 0 }
        // Deepest first, a level at a time, so a parent is tried after its children.
        var byDepth: [Int: Set<[UInt8]>] = [:]
        for directory in directories {
            byDepth[directory.count(where: { $0 == PathBytes.separator }) + 1, default: []].insert(directory)
        }
        var removed = 0
        var depth = byDepth.keys.max() ?? 0
        while depth >= 2 {
            for directory in byDepth[depth] ?? [] {
                guard let slash = directory.lastIndex(of: PathBytes.separator) else { continue }
                let parentPath = Array(directory[..<slash])
                let name = Array(directory[(slash + 1)...])
                guard let parent = try? parents.directory(parentPath) else { continue }
                if PathBytes.withCString(name, { unlinkat(parent.rawValue, $0, AT_REMOVEDIR) }) == 0 {
                    removed += 1
                    byDepth[depth - 1, default: []].insert(parentPath)
                }
            }
            depth -= 1
        }
        return removed
    }
}
