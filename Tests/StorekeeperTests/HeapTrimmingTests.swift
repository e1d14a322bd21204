import Foundation
import Glibc
import TestSupport
import Testing

/// The allocator keeps freed memory: SQLite's statement journal for each
/// event row (the event log's trigger) must not grow and shrink the heap
/// with two `brk` calls per recorded file. Counted with strace, not timed.
@Suite struct HeapTrimmingTests {
    static var hasStrace: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") }

    @Test(.enabled(if: hasStrace, "needs strace (scripts/test installs it)"))
    func aCleanupOfManyFilesDoesNotResizeTheHeapPerFile() throws {
        let files = 600
        let tree = try TemporaryTree.initialized("  retention:\n    temp: 1h\n")
        try tree.sh(
            """
            mkdir -p temp/a temp/b
            for i in $(seq 1 \(files / 2)); do echo x > temp/a/f$i; echo y > temp/b/g$i; done
            find temp -type f ! -name .gitkeep -exec touch -m -d '2 days ago' {} +
            """)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let summary = tree.root + "/strace.txt"
        let result = try Shell.run(
            [
                "strace", "-f", "-c", "-e", "trace=brk", "-o", summary, StorekeeperBinary.path, "clean", "--no-scan",
                "--json", "--config", tree.configPath,
            ],
            in: tree.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"total_files_removed\": \(files)"), "\(result.stdout)")
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        let calls =
            text.split(separator: "\n").first { $0.hasSuffix(" brk") }
            .flatMap { line in line.split(separator: " ").dropLast().last.flatMap { Int($0) } } ?? 0
        // Start-up and the run's own growth take a few dozen; two a file were 1,200 here.
        #expect(calls < files / 4, "brk called \(calls) times for \(files) files:\n\(text)")
    }
}
