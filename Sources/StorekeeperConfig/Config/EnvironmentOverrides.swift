/// The `STORAGE_*` environment variables, which win over the file.
///
/// Empty values are ignored, as in the earlier design, so `STORAGE_QUOTA_TEMP=` in a
/// unit file does not silently mean something.
enum EnvironmentOverrides {
    static let basePath = "STORAGE_BASE_PATH"
    static let retentionPrefix = "STORAGE_RETENTION_"
    static let quotaPrefix = "STORAGE_QUOTA_"
    static let cleanupEnabled = "STORAGE_CLEANUP_ENABLED"
    static let cleanupDryRun = "STORAGE_CLEANUP_DRY_RUN"
    static let cleanupBatchSize = "STORAGE_CLEANUP_BATCH_SIZE"

    static func apply(
        _ environment: [String: String], to draft: inout ConfigurationDraft, warnings: inout [ConfigWarning]
    ) throws(ConfigError) {
        let variables = environment.filter { !$0.value.isEmpty }
        if let path = variables[basePath] {
            draft.basePath = (path, .environment(variable: basePath))
        }
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) {
            for prefix in [retentionPrefix, quotaPrefix] where name.hasPrefix(prefix) {
                let suffix = name.dropFirst(prefix.count)
                guard let index = draft.categories.firstIndex(where: { $0.policy.key.uppercased() == suffix }) else {
                    warnings.append(
                        ConfigWarning(
                            file: "environment", line: nil, key: name,
                            message: "ignored: no configured category is named '\(suffix.lowercased())'"))
                    continue
                }
                let origin = ConfigOrigin.environment(variable: name)
                if prefix == retentionPrefix {
                    draft.setRetention(try parse(value, name, ConfigValueParser.seconds), at: index, origin: origin)
                } else {
                    draft.setQuota(try parse(value, name, ConfigValueParser.bytes), at: index, origin: origin)
                }
            }
        }
        if let value = variables[cleanupEnabled] {
            draft.cleanup.enabled = try parse(value, cleanupEnabled, ConfigValueParser.bool)
        }
        if let value = variables[cleanupDryRun] {
            draft.cleanup.dryRun = try parse(value, cleanupDryRun, ConfigValueParser.bool)
        }
        if let value = variables[cleanupBatchSize] {
            let size = try parse(value, cleanupBatchSize, ConfigValueParser.integer)
            guard size >= 1 else {
                throw ConfigOrigin.environment(variable: cleanupBatchSize).error(
                    "must be at least 1, found \(size)", file: "environment")
            }
            draft.cleanup.batchSize = Int(size)
        }
    }

    private static func parse<Value>(
        _ text: String, _ name: String, _ parser: (String) throws(ConfigValueParser.InvalidValue) -> Value
    ) throws(ConfigError) -> Value {
        do {
            return try parser(text)
        } catch {
            throw ConfigError(file: "environment", line: nil, key: name, message: error.message)
        }
    }
}
