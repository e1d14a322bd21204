import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// `storekeeper verify`: the judge. Compares the index with the disk and
/// lists every difference; changes nothing.
enum VerifyCommand {
    static let spec = CommandSpec(
        name: "verify",
        abstract: "Compare the index with the disk; exit 1 and list the differences if they disagree.",
        discussion: """
            Walks the base read-only and compares every file and symlink with its row. Each \
            difference is one line: 'on disk only', 'index only', 'changed' (with the fields) or \
            'unreadable'. Exit 0 when the index matches the disk exactly.
            """,
        options: OutputOptions.self,
        run: run)

    static func run(_ options: OutputOptions, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        let store = try IndexStore(path: layout.indexPath, readOnly: true)
        // Damage in pages the comparison never reads would otherwise pass as a match.
        try store.checkIntegrity()
        let json = options.json
        let progress = ProgressLine(label: "verify", enabled: !json && Console.stderrIsTerminal)
        let comparison = IndexComparison(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: layout.basePath)

        var listed: [Difference] = []
        // The whole comparison reads one snapshot, so a writer committing
        // mid-walk cannot make rows appear twice or vanish from the listing.
        let totals = try store.read {
            try comparison.run(progress: progress.update(files:)) { difference in
                switch difference {
                case .added(let file):
                    listed.append(("on disk only", file.path, "\(file.kind.rawValue), \(file.size) bytes"))
                case .removed(let row):
                    listed.append(("index only", row.path, "\(row.kind.rawValue), \(row.size) bytes"))
                case .changed(let row, let onDisk):
                    listed.append(("changed", row.path, row.differences(from: onDisk).joined(separator: ", ")))
                case .unreadable(let directory, let error):
                    listed.append(("unreadable", directory, String(cString: strerror(error.errno))))
                }
            }
        }
        progress.finish()
        if json {
            Console.out(self.json(listed, totals: totals).serialized())
        } else {
            Console.out(text(listed, totals: totals))
        }
        return listed.isEmpty ? .success : .failure
    }

    typealias Difference = (kind: String, path: [UInt8], detail: String)

    static func json(_ listed: [Difference], totals: IndexComparison.Totals) -> JSONValue {
        JSONValue.object([
            ("identical", .bool(listed.isEmpty)),
            ("files_on_disk", .int(totals.filesOnDisk)),
            (
                "differences",
                .array(
                    listed.map { item in
                        .object([
                            ("kind", .string(item.kind.replacingSpaces())),
                            ("path", .string(PathBytes.display(item.path))),
                            ("detail", .string(item.detail)),
                        ])
                    })
            ),
        ])
    }

    /// One line per difference, then the verdict.
    static func text(_ listed: [Difference], totals: IndexComparison.Totals) -> String {
        var lines = listed.map { "\($0.kind): \(PathBytes.display($0.path)) (\($0.detail))" }
        if listed.isEmpty {
            lines.append("verify: the index matches the disk (\(Formatting.count(totals.filesOnDisk, "file"))).")
        } else {
            lines.append(
                "verify: \(Formatting.count(listed.count, "difference")): \(totals.added) on disk only, \(totals.removed) index only, "
                    + "\(totals.changed) changed, \(totals.unreadable) unreadable.")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingSpaces() -> String {
        String(map { $0 == " " ? "_" : $0 })
    }
}
