import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// `storekeeper scan`: reconcile the index with the disk (the only full walk).
enum ScanCommand {
    static let spec = CommandSpec(
        name: "scan",
        abstract: "Reconcile the index with the disk (one walk; writes only differences).",
        discussion: """
            Walks the base once, adds files the index lacks, updates changed ones and deletes rows \
            of files that are gone, logging each to the events table. A folder that cannot be read \
            keeps its rows and makes the scan exit 1. Refused while another process (the daemon) \
            writes the index.
            """,
        options: OutputOptions.self,
        run: run)

    static func run(_ options: OutputOptions, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        try layout.validate()
        let lock = try layout.lockForWriting()
        defer { lock.release() }
        let store = try IndexStore(path: layout.indexPath)
        try store.recordPolicy(configuration.categories)

        let json = options.json
        let progress = ProgressLine(label: "scan", enabled: !json && Console.stderrIsTerminal)
        let started = MonotonicClock.seconds()
        let scanner = Scanner(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: layout.basePath)
        let summary = try scanner.reconcile(progress: progress.update(files:))
        progress.finish()
        let seconds = MonotonicClock.seconds() - started
        let totals = summary.totals

        if json {
            Console.out(
                JSONValue.object([
                    ("base_path", .string(layout.basePath)),
                    ("files", .int(totals.filesOnDisk)),
                    ("directories", .int(totals.directories)),
                    ("added", .int(totals.added)),
                    ("changed", .int(totals.changed)),
                    ("removed", .int(totals.removed)),
                    ("unreadable", .array(summary.unreadable.map { .string(describe($0.directory, $0.error)) })),
                    ("mount_points", .array(totals.mountPoints.map { .string(PathBytes.display($0)) })),
                    ("seconds", .double(seconds)),
                ]).serialized())
        } else {
            for (directory, error) in summary.unreadable {
                Console.error("warning: not read, rows kept: \(describe(directory, error))")
            }
            for mountPoint in totals.mountPoints {
                Console.error("warning: a mount point inside the tree, not crossed: \(PathBytes.display(mountPoint))")
            }
            Console.out(
                "Scanned \(layout.basePath): \(Formatting.count(totals.filesOnDisk, "file")) in \(Formatting.count(totals.directories, "folder")) in "
                    + "\(Formatting.fixed(seconds, digits: 2)) s; \(totals.added) added, \(totals.changed) changed, "
                    + "\(totals.removed) removed.")
        }
        return summary.unreadable.isEmpty ? .success : .failure
    }

    static func describe(_ directory: [UInt8], _ error: SystemCallError) -> String {
        let shown = directory.isEmpty ? "." : PathBytes.display(directory)
        return "\(shown)/: \(String(cString: strerror(error.errno))) (\(error.call))"
    }
}
