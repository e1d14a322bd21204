import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// `storekeeper check`: validate the configuration and say what it means.
enum CheckCommand {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Validate the configuration: errors exit 78, warnings are printed.",
        discussion: "Nothing is created or changed. Environment overrides (STORAGE_*) are applied as in every command.",
        options: Options.self,
        run: run)

    struct Options: CommandOptions {
        var verbose = false
        var json = false

        static let options: [Option<Self>] = [
            .flag(
                "--verbose", \.verbose,
                help:
                    "Also count the indexed files each cleanup.exclude pattern protects; warn on one that matches none."
            ),
            .json(\.json),
        ]
    }

    static func run(_ options: Options, _ invocation: Invocation) throws -> ExitCode {
        let json = options.json
        let configuration: Configuration
        var warnings: [String] = []
        do {
            let loaded = try ConfigurationLoader.load(
                file: try invocation.locateConfigFile(), environment: invocation.environment,
                currentDirectory: invocation.currentDirectory, noteRelativePaths: true)
            configuration = loaded.0
            warnings = loaded.1.map(\.description)
            try StorageLayout(configuration).validate()
        } catch let error as ConfigError {
            guard json else { throw error }
            Console.out(
                result(file: invocation.configFile, errors: error.all.map(\.description), warnings: []).serialized())
            return .config
        } catch let error as LayoutError {
            guard json else {
                throw ConfigError(
                    file: invocation.configFile, line: nil, key: "storage.index_path", message: error.message)
            }
            Console.out(result(file: invocation.configFile, errors: [error.message], warnings: []).serialized())
            return .config
        }
        let layout = StorageLayout(configuration)
        if !FileSystemPaths.exists(layout.basePath) {
            warnings.append("\(layout.basePath) does not exist yet: 'storekeeper init' creates it")
        }
        var protection: ExcludeProtection?
        if options.verbose && !configuration.cleanup.exclude.isEmpty {
            protection = ExcludeProtection.count(configuration.cleanup.exclude, indexPath: layout.indexPath)
            warnings += protection?.warnings ?? []
        }
        if json {
            Console.out(
                result(file: invocation.configFile, errors: [], warnings: warnings, exclude: protection).serialized())
            return .success
        }
        for warning in warnings { Console.error("warning: \(warning)") }
        Console.out(summary(file: invocation.configFile, configuration, layout: layout, exclude: protection))
        return .success
    }

    /// What the configuration means: where the tree and the index are, and
    /// each category's folders and policy.
    static func summary(
        file: String, _ configuration: Configuration, layout: StorageLayout, exclude protection: ExcludeProtection?
    ) -> String {
        var lines = ["\(file): valid", "  base:  \(layout.basePath)", "  index: \(layout.indexPath)"]
        for policy in configuration.categories {
            let retention = policy.retentionSeconds.map(Formatting.duration) ?? "keep"
            let quota = policy.quotaBytes.map(Formatting.bytes) ?? "no quota"
            let folders = policy.directories.joined(separator: ", ") + "/"
            lines.append(
                "  \(Formatting.pad(policy.key, 15)) \(Formatting.pad(folders, 18)) retention \(Formatting.pad(retention, 6)) "
                    + "quota \(Formatting.pad(quota, 9)) on quota: \(policy.onQuota.rawValue)")
        }
        if let protection {
            lines.append(
                "  exclude (\(protection.indexedFiles.map { "of \($0) indexed files" } ?? "no index to count"))")
            for (pattern, files) in protection.patterns {
                lines.append("    \(Formatting.pad(pattern, 30)) \(files.map { "protects \($0)" } ?? "-")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func result(file: String, errors: [String], warnings: [String], exclude: ExcludeProtection? = nil)
        -> JSONValue
    {
        var fields: [(String, JSONValue)] = [
            ("file", .string(file)),
            ("valid", .bool(errors.isEmpty)),
            ("errors", .array(errors.map(JSONValue.string))),
            ("warnings", .array(warnings.map(JSONValue.string))),
        ]
        if let exclude {
            fields.append(("indexed_files", .optional(exclude.indexedFiles)))
            let patterns = exclude.patterns.map { pattern in
                JSONValue.object([("pattern", .string(pattern.pattern)), ("files", .optional(pattern.files))])
            }
            fields.append(("exclude", .array(patterns)))
        }
        return .object(fields)
    }
}

/// What `check --verbose` says of `cleanup.exclude`: how many indexed files
/// each pattern protects, counted with the matcher the cleaner uses.
struct ExcludeProtection {
    /// nil when there is no index to count (not initialized, unreadable).
    var indexedFiles: Int64?
    var patterns: [(pattern: String, files: Int64?)]
    var warnings: [String] = []

    /// One read of every indexed path, in keyset pages, from a read-only
    /// connection: `check` changes nothing, and a running daemon goes on.
    static func count(_ texts: [String], indexPath: String) -> ExcludeProtection {
        var protection = ExcludeProtection(indexedFiles: nil, patterns: texts.map { ($0, nil) })
        guard FileSystemPaths.exists(indexPath) else { return protection }
        do {
            let matchers = try texts.map { try ExcludePattern($0) }
            let store = try IndexStore(path: indexPath, readOnly: true)
            var counts = [Int64](repeating: 0, count: matchers.count)
            var total: Int64 = 0
            var after: [UInt8]?
            while true {
                let page = try store.files(inSubtree: [], after: after, limit: 10_000)
                guard let last = page.last else { break }
                for file in page {
                    for (index, matcher) in matchers.enumerated() where matcher.matches(file.path) {
                        counts[index] += 1
                    }
                }
                total += Int64(page.count)
                after = last.path
            }
            protection.indexedFiles = total
            protection.patterns = zip(texts, counts).map { ($0, $1) }
            for (text, files) in zip(texts, counts) where files == 0 {
                protection.warnings.append(
                    "cleanup.exclude '\(text)' matches none of the \(Formatting.count(Int(total), "indexed file")): it protects nothing now"
                )
            }
        } catch {
            protection.warnings.append(
                "cleanup.exclude: cannot count the files each pattern protects in \(indexPath): \(error)")
        }
        return protection
    }
}
