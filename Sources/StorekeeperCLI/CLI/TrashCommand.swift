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
        options: Options.self,
        run: run)

    /// How long `restore` and `empty` wait for a cleanup run to finish: they
    /// move the same items, so they take the cleanup lock.
    static let lockWait = 60.0

    struct Options: CommandOptions {
        enum Action: String, CaseIterable, Sendable {
            case list, restore, empty
        }

        var action = Action.list
        var path: String?
        var olderThan: Int64?
        var all = false
        var json = false

        static let options: [Option<Self>] = [
            .value(
                "--older-than", "duration", \.olderThan, as: .age,
                help: "empty: only items deleted at least this long ago (90s, 15m, 24h, 7d, 2w; a unit is required)."),
            .flag("--all", \.all, help: "empty: every item, whatever its age."),
            .json(\.json),
        ]
        static let arguments: [Argument<Self>] = [
            .choice("action", \.action),
            .text("path", \.path, required: false, help: "restore: where the item was"),
        ]
        static let exclusive: [[PartialKeyPath<Self> & Sendable]] = [[\.all, \.olderThan]]

        func validate() throws(UsageError) {
            switch action {
            case .restore:
                if path == nil { throw UsageError("missing argument <path> for 'restore'") }
            case .list, .empty:
                if let path { throw UsageError("unexpected argument '\(path)'") }
            }
            let emptyOnly: [(field: PartialKeyPath<Self>, given: Bool)] = [
                (\.olderThan, olderThan != nil), (\.all, all),
            ]
            for option in emptyOnly where option.given && action != .empty {
                throw UsageError("'\(Self.option(setting: option.field).name)' only applies to 'empty'")
            }
            if action == .empty && olderThan == nil && !all {
                throw UsageError(
                    "'empty' deletes for good: say which items, with \(Self.option(setting: \.olderThan).usage) "
                        + "or \(Self.option(setting: \.all).name)")
            }
        }
    }

    static func run(_ options: Options, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        try layout.validate()
        switch options.action {
        case .list:
            let store = try IndexStore(path: layout.indexPath)
            let items = try Trash(layout: layout, store: store).list()
            Console.out(options.json ? listJSON(items, layout: layout).serialized() : listTable(items, layout: layout))
            return .success
        case .restore:
            return try restore(options.path ?? "", configuration: configuration, layout: layout, json: options.json)
        case .empty:
            return try empty(olderThan: options.olderThan, layout: layout, json: options.json)
        }
    }

    static func empty(olderThan: Int64?, layout: StorageLayout, json: Bool) throws -> ExitCode {
        let lock = try layout.lockForCleanup(wait: lockWait)
        defer { lock.release() }
        // On a full disk the index needs room to record what is purged.
        layout.spaceReserve.releaseIfDiskFull()
        let store = try IndexStore(path: layout.indexPath)
        let purge = try Trash(layout: layout, store: store)
            .empty(olderThan: olderThan, now: WallClock.now(), cause: .manual)
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
            Console.out(
                "Removed \(Formatting.count(purge.files, "item")) (\(Formatting.bytes(purge.bytes))) from the trash.")
        }
        return purge.failures.isEmpty ? .success : .failure
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
            : restorable.first { PathBytes.display($0.originalPath) == requested }?.originalPath
                ?? Array(requested.utf8)
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
        throw UsageError("'\(argument)' is not under the base \(basePath)")
    }

    static func listTable(_ items: [TrashedItem], layout: StorageLayout) -> String {
        guard !items.isEmpty else { return "The trash is empty (\(layout.trashDirectory))." }
        var lines: [String] = []
        for item in items {
            var line =
                Formatting.isoTimestamp(item.deletedAt) + "  "
                + Formatting.pad(Formatting.bytes(item.size), 10, right: true) + "  " + shownPath(item)
            if let problem = item.problem { line += "  [\(problem)]" }
            lines.append(line)
        }
        let bytes = items.saturatingSum(\.size)
        lines.append(
            "\(Formatting.count(items.count, "item")), \(Formatting.bytes(bytes)) in \(layout.trashDirectory).")
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

extension ValueConversion where Value == Int64? {
    /// An age with a unit (`7d`). A bare number reads as seconds in the
    /// config, but here a slip ("2" meant as days) would delete at once what
    /// cannot come back.
    static var age: Self {
        Self { text, option throws(UsageError) in
            guard let unit = text.last, unit.isLetter else {
                throw UsageError("'\(option)' needs a unit (30m, 12h, 7d, 2w), found '\(text)'")
            }
            let seconds: Int64
            do throws(ConfigValueParser.InvalidValue) {
                seconds = try ConfigValueParser.seconds(text)
            } catch {
                throw UsageError("'\(option)': \(error.message)")
            }
            guard seconds >= 0 else { throw UsageError("'\(option)' must be 0 or more, found '\(text)'") }
            return seconds
        }
    }
}
