/// `storekeeper check`: validate the configuration and say what it means.
enum CheckCommand {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Validate the configuration: errors exit 78, warnings are printed.",
        discussion: "Nothing is created or changed. Environment overrides (STORAGE_*) are applied as in every command.",
        options: [CommandSpec.jsonOption],
        run: run)

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let json = invocation.has("--json")
        let configuration: Configuration
        var warnings: [String] = []
        do {
            let loaded = try ConfigurationLoader.load(
                file: invocation.configFile, environment: invocation.environment,
                currentDirectory: invocation.currentDirectory)
            configuration = loaded.0
            warnings = loaded.1.map(\.description)
            try StorageLayout(configuration).validate()
        } catch let error as ConfigError {
            guard json else { throw error }
            Console.out(result(file: invocation.configFile, errors: [error.description], warnings: []).serialized())
            return .config
        } catch let error as LayoutError {
            guard json else { throw ConfigError(file: invocation.configFile, line: nil, key: "storage.index_path", message: error.message) }
            Console.out(result(file: invocation.configFile, errors: [error.message], warnings: []).serialized())
            return .config
        }
        let layout = StorageLayout(configuration)
        if !FileSystemPaths.exists(layout.basePath) {
            warnings.append("\(layout.basePath) does not exist yet: 'storekeeper init' creates it")
        }
        if json {
            Console.out(result(file: invocation.configFile, errors: [], warnings: warnings).serialized())
            return .success
        }
        for warning in warnings { Console.error("warning: \(warning)") }
        Console.out("\(invocation.configFile): valid")
        Console.out("  base:  \(layout.basePath)")
        Console.out("  index: \(layout.indexPath)")
        for policy in configuration.categories {
            let retention = policy.retentionSeconds.map(Formatting.duration) ?? "keep"
            let quota = policy.quotaBytes.map(Formatting.bytes) ?? "no quota"
            Console.out(
                "  \(Formatting.pad(policy.key, 15)) \(Formatting.pad(policy.directories.joined(separator: ", ") + "/", 18)) "
                    + "retention \(Formatting.pad(retention, 6)) quota \(Formatting.pad(quota, 9)) on quota: \(policy.onQuota.rawValue)")
        }
        return .success
    }

    static func result(file: String, errors: [String], warnings: [String]) -> JSONValue {
        .object([
            ("file", .string(file)),
            ("valid", .bool(errors.isEmpty)),
            ("errors", .array(errors.map(JSONValue.string))),
            ("warnings", .array(warnings.map(JSONValue.string))),
        ])
    }
}
