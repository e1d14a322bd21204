import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// `storekeeper init`: the layout (`StorageLayout`: category folders with
/// their `.gitkeep`, the storage README, `.storekeeper/` and the index),
/// made idempotently.
enum InitCommand {
    static let spec = CommandSpec(
        name: "init",
        abstract: "Create the storage layout, its README and an empty index.",
        discussion: """
            Creates the base folder, one folder per category with a .gitkeep, the storage README, \
            .storekeeper/ and the index. Safe to run again: what exists is kept, modes are set to \
            0755 (folders) and 0644 (files it writes). A README.md it did not write is left alone.
            """,
        options: NoOptions.self,
        run: run)

    static let readmeMarker = "<!-- written by storekeeper init; edit config/storekeeper.yaml instead -->"

    static func run(_: NoOptions, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        try layout.validate()
        var created: [String] = []

        if try FileSystemPaths.makeDirectories(layout.basePath) { created.append(layout.basePath) }
        try touchGitkeep(in: layout.basePath)
        for policy in configuration.categories {
            for directory in policy.directories {
                let path = layout.basePath + "/" + directory
                if FileSystemPaths.kind(path) == .symlink {
                    throw LayoutError(message: "\(path) is a symlink: category folders must be real folders")
                }
                if try FileSystemPaths.makeDirectories(path) { created.append(path) }
                _ = chmod(path, 0o755)
                try touchGitkeep(in: path)
            }
        }
        if try FileSystemPaths.makeDirectories(layout.stateDirectory) { created.append(layout.stateDirectory) }
        try FileSystemPaths.makeDirectories(FileSystemPaths.parentDirectory(layout.indexPath))

        let readme = writeReadme(configuration, layout: layout)
        let store =
            try FileSystemPaths.exists(layout.indexPath)
            ? IndexStore(path: layout.indexPath) : IndexStore.create(path: layout.indexPath)
        try store.recordPolicy(configuration.categories)
        try store.setMeta("base_path", layout.basePath)

        for path in created { Console.out("created \(path)/") }
        if let readme { Console.out(readme) }
        Console.out(
            "Initialized \(layout.basePath): \(Formatting.count(configuration.categories.count, "category", plural: "categories")), index \(layout.indexPath) "
                + "(schema \(Database.schemaVersion)).")
        return .success
    }

    private static func touchGitkeep(in directory: String) throws {
        let path = directory + "/.gitkeep"
        if FileSystemPaths.exists(path) { return }
        let descriptor = try FileDescriptor.open(
            PathBytes.bytes(path), access: .writeOnly, options: [.create, .exclusive, .noFollow], mode: 0o644)
        _ = fchmod(descriptor.rawValue, 0o644)
    }

    /// Writes the storage README when it is missing or ours; returns what happened.
    private static func writeReadme(_ configuration: Configuration, layout: StorageLayout) -> String? {
        if let existing = FileSystemPaths.read(layout.readmePath),
            !String(decoding: existing, as: UTF8.self).hasPrefix(readmeMarker)
        {
            return "kept \(layout.readmePath): not written by storekeeper"
        }
        do {
            try FileSystemPaths.writeAtomically(layout.readmePath, contents: readme(for: configuration))
            return nil
        } catch {
            return "warning: could not write \(layout.readmePath): \(error)"
        }
    }

    /// What the service puts in each folder of the default layout; a
    /// category the configuration adds is named by its key.
    static let purposes = [
        "temp": "scratch files of jobs in progress",
        "uploads": "media uploaded for analysis",
        "frames": "frames extracted from videos",
        "contact_sheets": "contact sheets (frame grids) made from the frames",
        "outputs": "final analysis results; never expired or evicted",
    ]

    static func readme(for configuration: Configuration) -> String {
        var lines = [
            readmeMarker,
            "# Storage",
            "",
            "Media files of the media-analysis service. Storekeeper indexes everything here and",
            "removes files past their retention.",
            "",
            "| Folder | Category | Retention | Quota | Over quota | Holds |",
            "|---|---|---|---|---|---|",
        ]
        for policy in configuration.categories {
            let retention = policy.retentionSeconds.map(Formatting.duration) ?? "kept forever"
            let quota = policy.quotaBytes.map(Formatting.bytes) ?? "none"
            let holds = purposes[policy.key] ?? "files of the `\(policy.key)` category"
            for directory in policy.directories {
                lines.append(
                    "| `\(directory)/` | `\(policy.key)` | \(retention) | \(quota) | \(policy.onQuota.rawValue) | \(holds) |"
                )
            }
        }
        lines += [
            "",
            "Over quota, `alert` only reports; `evict` removes the oldest files until the category is under it.",
            "",
            "## Usage",
            "",
            "- `storekeeper stats` (or `--json`): files, bytes, quota use and oldest file per category.",
            "- `sqlite3 -readonly .storekeeper/index.db`, views: `quota_status`, `expired_files`,",
            "  `largest_files`, `recent_deletions`, `trash_contents`.",
        ]
        lines += [
            "",
            "## Cleanup schedule (UTC)",
            "",
            "- Full cleanup: `\(configuration.cleanup.schedule)`",
            "- Temp cleanup: `\(configuration.cleanup.tempSchedule)`",
            "- Deleted files go to `.trash/` first: \(configuration.cleanup.useTrash ? "yes" : "no")",
            "",
            "## Access",
            "",
            "Folders 0755, files 0644. `.storekeeper/` holds the index (`index.db`, SQLite) and",
            "locks; `.trash/` is a freedesktop.org trash. Neither is indexed.",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
