/// Settings gathered from the file and the environment, with their origins,
/// before the checks that need both (outputs protection, folder ownership,
/// path resolution) turn them into a `Configuration`.
struct ConfigurationDraft {
    struct Category {
        var policy: CategoryPolicy
        var retentionOrigin: ConfigOrigin = .builtIn
        var quotaOrigin: ConfigOrigin = .builtIn
        var onQuotaOrigin: ConfigOrigin = .builtIn
        var directoriesOrigin: ConfigOrigin = .builtIn
    }

    var basePath: (path: String, origin: ConfigOrigin)?
    var indexPath: (path: String, origin: ConfigOrigin)?
    var categories = CategoryPolicy.builtIns.map { Category(policy: $0) }
    var cleanup = CleanupSettings()
    var monitoring = MonitoringSettings()
    /// The `storage:` line, where a missing `base_path` is reported.
    var storageLine: Int?

    func categoryIndex(_ key: String) -> Int? {
        categories.firstIndex { $0.policy.key == key }
    }

    /// The index of a category, adding an extra one with the defaults of an
    /// unknown kind of data: kept forever, no quota, never evicted.
    mutating func categoryIndex(creating key: String) -> Int {
        if let index = categoryIndex(key) {
            return index
        }
        categories.append(Category(policy: CategoryPolicy(
            key: key,
            directories: [CategoryPolicy.defaultDirectory(forKey: key)],
            retentionSeconds: nil,
            quotaBytes: nil,
            onQuota: .alert
        )))
        return categories.count - 1
    }

    /// Stores a parsed retention, where -1 means keep forever.
    mutating func setRetention(_ seconds: Int64, at index: Int, origin: ConfigOrigin) {
        categories[index].policy.retentionSeconds = seconds < 0 ? nil : seconds
        categories[index].retentionOrigin = origin
    }

    /// Stores a parsed quota, where -1 means no quota.
    mutating func setQuota(_ bytes: Int64, at index: Int, origin: ConfigOrigin) {
        categories[index].policy.quotaBytes = bytes < 0 ? nil : bytes
        categories[index].quotaOrigin = origin
    }

    func finalize(file: String, currentDirectory: String) throws(ConfigError) -> (Configuration, [ConfigWarning]) {
        var warnings: [ConfigWarning] = []
        guard let basePath else {
            throw ConfigError(file: file, line: storageLine, key: "storage.base_path", message: "missing; set it here or in STORAGE_BASE_PATH")
        }
        let base = try Self.absolute(basePath.path, origin: basePath.origin, file: file, currentDirectory: currentDirectory)
        if !basePath.path.hasPrefix("/") {
            warnings.append(basePath.origin.warning(
                "relative path '\(basePath.path)' is resolved against the working directory: \(base)", file: file))
        }
        let index = try indexPath.map { path throws(ConfigError) in
            try Self.absolute(path.path, origin: path.origin, file: file, currentDirectory: currentDirectory)
        } ?? base + "/.storekeeper/index.db"

        var owners: [String: Int] = [:]
        for (position, category) in categories.enumerated() {
            let policy = category.policy
            if policy.key == CategoryPolicy.protectedKey {
                guard policy.retentionSeconds == nil else {
                    throw category.retentionOrigin.error("outputs is never deleted by any policy: its retention must be -1 (keep forever)", file: file)
                }
                guard policy.onQuota == .alert else {
                    throw category.onQuotaOrigin.error("outputs is never deleted by any policy: on_quota must be alert", file: file)
                }
            }
            if policy.retentionSeconds == 0 {
                warnings.append(category.retentionOrigin.warning("retention 0: every file is expired at once", file: file))
            }
            if policy.quotaBytes == 0 {
                warnings.append(category.quotaOrigin.warning("quota 0: the category is always over quota", file: file))
            }
            for directory in policy.directories {
                if let owner = owners[directory] {
                    let other = categories[owner]
                    let origin = category.directoriesOrigin == .builtIn ? other.directoriesOrigin : category.directoriesOrigin
                    throw origin.error("directory '\(directory)' belongs to both \(other.policy.key) and \(policy.key)", file: file)
                }
                owners[directory] = position
            }
        }
        let configuration = Configuration(
            sourceFile: file,
            basePath: base,
            indexPath: index,
            categories: categories.map(\.policy),
            cleanup: cleanup,
            monitoring: monitoring
        )
        return (configuration, warnings)
    }

    /// An absolute, lexically tidied path (`.` and empty components
    /// dropped; `..` kept, since resolving it lexically is wrong across
    /// symlinks).
    private static func absolute(
        _ path: String, origin: ConfigOrigin, file: String, currentDirectory: String
    ) throws(ConfigError) -> String {
        guard !path.isEmpty else {
            throw origin.error("the path is empty", file: file)
        }
        guard !path.hasPrefix("~") else {
            throw origin.error("'~' is not expanded; use an absolute path", file: file)
        }
        let joined = path.hasPrefix("/") ? path : currentDirectory + "/" + path
        let components = joined.split(separator: "/").filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }
}
