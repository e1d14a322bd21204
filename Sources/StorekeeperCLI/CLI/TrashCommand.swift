import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// `storekeeper trash list|restore|empty`: the trash in `<base>/.trash`.
enum TrashCommand {
    static let spec = CommandSpec(
        name: "trash",
        abstract: "List, restore or empty the trash (.trash/, freedesktop.org layout).",
        discussion: """
            list: every item, oldest first, with its deletion time (UTC), size and original path; \
            entries other tools left broken are listed with the problem. restore <path>: moves the \
            newest item deleted from <path> (relative to the base, or absolute under it; escapes as \
            'list' prints them work too) back where it was, recreating missing folders; refused when \
            something is there now. empty: removes for good the items deleted at least --older-than \
            ago (a number with a unit: 30m, 12h, 7d, 2w), or every item with --all, broken entries and \
            orphans included; it cannot be undone, so one of the two is required. trash-cli reads the \
            same folders: trash-list --trash-dir <base>/.trash.
            """,
        options: [
            .init(
                name: "--older-than", valueName: "duration",
                help: "empty: only items deleted at least this long ago (90s, 15m, 24h, 7d, 2w; a unit is required)."),
            .init(name: "--all", valueName: nil, help: "empty: every item, whatever its age."),
            CommandSpec.jsonOption,
        ],
        arguments: [("action", "list, restore or empty"), ("path", "restore: where the item was")],
        requiredArguments: 1,
        run: run)

    /// How long `restore` and `empty` wait for a cleanup run to finish: they
    /// move the same items, so they take the cleanup lock.
    static let lockWait = 60.0

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let action = invocation.arguments[0]
        guard ["list", "restore", "empty"].contains(action) else {
            throw UsageError(message: "unknown action '\(action)' (expected list, restore or empty)", command: "trash")
        }
        if action == "restore" && invocation.arguments.count < 2 {
            throw UsageError(message: "missing argument <path> for 'restore'", command: "trash")
        }
        if action != "restore" && invocation.arguments.count > 1 {
            throw UsageError(message: "unexpected argument '\(invocation.arguments[1])'", command: "trash")
        }
        var olderThan: Int64?
        if let text = invocation.values["--older-than"] {
            guard action == "empty" else {
                throw UsageError(message: "'--older-than' only applies to 'empty'", command: "trash")
            }
            // A bare number reads as seconds in the config, but here a slip
            // ("2" meant as days) would delete at once what cannot come back.
            guard let unit = text.last, unit.isLetter else {
                throw UsageError(
                    message: "'--older-than' needs a unit (30m, 12h, 7d, 2w), found '\(text)'", command: "trash")
            }
            let seconds: Int64
            do {
                seconds = try ConfigValueParser.seconds(text)
            } catch {
                throw UsageError(message: "'--older-than': \(error.message)", command: "trash")
            }
            guard seconds >= 0 else {
                throw UsageError(message: "'--older-than' must be 0 or more, found '\(text)'", command: "trash")
            }
            olderThan = seconds
        }
        if invocation.has("--all") {
            guard action == "empty" else { throw UsageError(message: "'--all' only applies to 'empty'", command: "trash") }
            guard olderThan == nil else {
                throw UsageError(message: "'--all' and '--older-than' exclude each other", command: "trash")
            }
        } else if action == "empty" && olderThan == nil {
            throw UsageError(
                message: "'empty' deletes for good: say which items, with --older-than <duration> or --all",
                command: "trash")
        }

        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        try layout.validate()
        let json = invocation.has("--json")
        switch action {
        case "list":
            let store = try IndexStore(path: layout.indexPath)
            let items = try Trash(layout: layout, store: store).list()
            Console.out(json ? listJSON(items, layout: layout).serialized() : listTable(items, layout: layout))
            return .success
        case "restore":
            return try restore(invocation.arguments[1], configuration: configuration, layout: layout, json: json)
        default:
            let lock = try layout.lockForCleanup(wait: lockWait)
            defer { lock.release() }
            // On a full disk the index needs room to record what is purged.
            layout.spaceReserve.releaseIfDiskFull()
            let store = try IndexStore(path: layout.indexPath)
            let purge = try Trash(layout: layout, store: store)
                .empty(olderThan: olderThan, now: WallClock.now(), cause: "manual")
            if json {
                Console.out(
                    JSONValue.object([
                        ("files_removed", .int(purge.files)),
                        ("bytes_freed", .int(purge.bytes)),
                        ("older_than_seconds", .optional(olderThan)),
                        ("errors", .array(purge.failures.map(JSONValue.string))),
                    ]).serialized())
            } else {
                for failure in purge.failures { Console.error("error: \(failure)") }
                Console.out("Removed \(Formatting.count(purge.files, "item")) (\(Formatting.bytes(purge.bytes))) from the trash.")
            }
            return purge.failures.isEmpty ? .success : .failure
        }
    }

    static func restore(_ argument: String, configuration: Configuration, layout: StorageLayout, json: Bool) throws
        -> ExitCode
    {
        let requested = try relativePath(argument, basePath: layout.basePath)
        let lock = try layout.lockForCleanup(wait: lockWait)
        defer { lock.release() }
        let store = try IndexStore(path: layout.indexPath)
        let trash = try Trash(layout: layout, store: store)
        // Arguments arrive as Strings, so a name that is not UTF-8 can only be
        // named by the escaped form `list` prints; exact bytes win when both fit.
        let restorable = try trash.list().filter { $0.problem == nil }
        let path =
            restorable.contains { $0.originalPath == Array(requested.utf8) }
            ? Array(requested.utf8)
            : restorable.first { PathBytes.display($0.originalPath) == requested }?.originalPath ?? Array(requested.utf8)
        let item = try trash.restore(originalPath: path)

        var warning: String?
        // Without a daemon nobody sees the file come back: index its folder now.
        // With one (it holds the writer lock), its watch sees the rename.
        if let writer = try? layout.lockForWriting() {
            defer { writer.release() }
            let folder = Array(PathBytes.components(path).dropLast().joined(separator: [PathBytes.separator]))
            do {
                _ = try Scanner(
                    store: store, categorizer: Categorizer(policies: configuration.categories),
                    basePath: layout.basePath, cause: "restore"
                ).reconcile(subtree: folder, logSummary: false)
            } catch {
                warning = "restored, but the index was not updated (\(error)); run 'storekeeper scan'"
            }
        }
        if json {
            Console.out(
                JSONValue.object([
                    ("restored", itemJSON(item)), ("warning", warning.map(JSONValue.string) ?? .null),
                ]).serialized())
        } else {
            if let warning { Console.error("warning: \(warning)") }
            Console.out(
                "Restored \(PathBytes.display(item.originalPath)) (\(Formatting.bytes(item.size)), deleted "
                    + "\(Formatting.isoTimestamp(item.deletedAt))).")
        }
        return .success
    }

    /// The argument relative to the base: as given, or with the base (as
    /// configured or as `realpath` sees it) taken off an absolute path.
    static func relativePath(_ argument: String, basePath: String) throws -> String {
        var path = argument
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard path.hasPrefix("/") else { return path }
        var bases = [basePath]
        if let real = realpath(basePath, nil) {
            bases.append(String(cString: real))
            free(real)
        }
        for base in bases where path.hasPrefix(base + "/") {
            return String(path.dropFirst(base.count + 1))
        }
        throw UsageError(message: "'\(argument)' is not under the base \(basePath)", command: "trash")
    }

    static func listTable(_ items: [TrashedItem], layout: StorageLayout) -> String {
        guard !items.isEmpty else { return "The trash is empty (\(layout.trashDirectory))." }
        var lines: [String] = []
        for item in items {
            var line = Formatting.isoTimestamp(item.deletedAt) + "  "
                + Formatting.pad(Formatting.bytes(item.size), 10, right: true) + "  " + shownPath(item)
            if let problem = item.problem { line += "  [\(problem)]" }
            lines.append(line)
        }
        let bytes = items.saturatingSum(\.size)
        lines.append("\(Formatting.count(items.count, "item")), \(Formatting.bytes(bytes)) in \(layout.trashDirectory).")
        return lines.joined(separator: "\n")
    }

    static func listJSON(_ items: [TrashedItem], layout: StorageLayout) -> JSONValue {
        .object([
            ("trash_directory", .string(layout.trashDirectory)),
            ("items", .array(items.map(itemJSON))),
            ("total_items", .int(items.count)),
            ("total_bytes", .int(items.saturatingSum(\.size))),
        ])
    }

    static func itemJSON(_ item: TrashedItem) -> JSONValue {
        .object([
            ("original_path", item.originalPath.isEmpty ? .null : .string(PathBytes.display(item.originalPath))),
            ("trash_name", .string(PathBytes.display(item.trashName))),
            ("deleted_at", .string(Formatting.isoTimestamp(item.deletedAt))),
            ("size", .int(item.size)),
            ("category", item.category.map(JSONValue.string) ?? .null),
            ("problem", item.problem.map { .string("\($0)") } ?? .null),
        ])
    }

    /// The original path, or where the entry sits when that is unknown.
    private static func shownPath(_ item: TrashedItem) -> String {
        item.originalPath.isEmpty
            ? ".trash/files/" + PathBytes.display(item.trashName) : PathBytes.display(item.originalPath)
    }
}
