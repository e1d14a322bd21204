import StorekeeperSystem

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
        /// Built in or under `categories:`; a category only a retention or
        /// quota names must at least have its folder.
        var declared = false
    }

    var basePath: (path: String, origin: ConfigOrigin)?
    var indexPath: (path: String, origin: ConfigOrigin)?
    var categories = CategoryPolicy.builtIns.map { Category(policy: $0, declared: true) }
    var cleanup = CleanupSettings()
    var monitoring = MonitoringSettings()
    var watch = WatchSettings()
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
        categories.append(
            Category(
                policy: CategoryPolicy(
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

    /// Relative paths in the file are relative to the file's folder, so the
    /// same file means the same tree from any working directory (a service
    /// starts in /); a relative STORAGE_BASE_PATH follows the working
    /// directory, as any path given on a command line does.
    /// `noteRelativePaths` adds a warning per relative path, for `check`.
    /// Every problem is collected before throwing, so one run of `check`
    /// lists them all.
    func finalize(
        file: String, configDirectory: String, currentDirectory: String, noteRelativePaths: Bool = false
    ) throws(ConfigError) -> (Configuration, [ConfigWarning]) {
        var findings = Findings(
            file: file, configDirectory: configDirectory, currentDirectory: currentDirectory,
            noteRelativePaths: noteRelativePaths)
        if basePath == nil {
            findings.errors.append(
                ConfigError(
                    file: file, line: storageLine, key: "storage.base_path",
                    message: "missing; set it here or in STORAGE_BASE_PATH"))
        }
        let base = basePath.flatMap { findings.resolve($0.path, $0.origin) }
        let index = indexPath.map { findings.resolve($0.path, $0.origin) } ?? base.map { $0 + "/.storekeeper/index.db" }
        let monitoring = resolvedMonitoring(&findings)
        checkCategories(base: base, &findings)
        guard findings.errors.isEmpty, let base, let index else {
            throw ConfigError.combining(findings.errors)
        }
        let configuration = Configuration(
            sourceFile: file,
            basePath: base,
            indexPath: index,
            categories: categories.map(\.policy),
            cleanup: cleanup,
            monitoring: monitoring,
            watch: watch
        )
        return (configuration, findings.warnings)
    }

    /// What `finalize` found so far, and where relative paths resolve.
    struct Findings {
        let file: String
        let configDirectory: String
        let currentDirectory: String
        let noteRelativePaths: Bool
        var errors: [ConfigError] = []
        var warnings: [ConfigWarning] = []

        mutating func resolve(_ path: String, _ origin: ConfigOrigin) -> String? {
            var folder = if case .environment = origin { currentDirectory } else { configDirectory }
            var relative = path
            if case .file = origin {
                // The loader resolves the config folder's symlinks, so a leading
                // `..` can be taken off it lexically (not further down the path).
                while relative.hasPrefix("../") || relative == "..", let slash = folder.lastIndex(of: "/"),
                    folder != "/"
                {
                    folder = slash == folder.startIndex ? "/" : String(folder[..<slash])
                    relative = String(relative.dropFirst(3))
                }
                if relative.isEmpty { relative = "." }
            }
            do {
                let absolute = try ConfigurationDraft.absolute(
                    relative, origin: origin, file: file, currentDirectory: folder)
                if noteRelativePaths && !path.hasPrefix("/") {
                    let against =
                        if case .environment = origin { "the working directory" } else { "the config file's folder" }
                    warnings.append(
                        origin.warning(
                            "relative path '\(path)' is resolved against \(against): \(absolute)", file: file))
                }
                return absolute
            } catch {
                errors.append(error)
                return nil
            }
        }
    }

    /// The monitoring settings with relative file paths made absolute against
    /// the config file's folder. Empty means off for both, and stays empty.
    private func resolvedMonitoring(_ findings: inout Findings) -> MonitoringSettings {
        var monitoring = monitoring
        for (key, setting) in [
            ("log_file", \MonitoringSettings.logFile), ("textfile_path", \MonitoringSettings.textfilePath),
        ] {
            guard let path = monitoring[keyPath: setting], !path.isEmpty, !path.hasPrefix("/") else { continue }
            let absolute =
                "/"
                + (findings.configDirectory + "/" + path).split(separator: "/").filter { $0 != "." }.joined(
                    separator: "/")
            monitoring[keyPath: setting] = absolute
            if findings.noteRelativePaths {
                findings.warnings.append(
                    ConfigWarning(
                        file: findings.file, line: nil, key: "storage.monitoring." + key,
                        message: "relative path '\(path)' is resolved against the config file's folder: \(absolute)"))
            }
        }
        return monitoring
    }

    /// Each category's own rules, then that no folder belongs to two.
    private func checkCategories(base: String?, _ findings: inout Findings) {
        let declared = categories.filter(\.declared).map(\.policy.key)
        var owners: [String: Int] = [:]
        for (position, category) in categories.enumerated() {
            check(category, base: base, declared: declared, &findings)
            for directory in category.policy.directories {
                if let owner = owners[directory] {
                    let other = categories[owner]
                    let origin =
                        category.directoriesOrigin == .builtIn ? other.directoriesOrigin : category.directoriesOrigin
                    findings.errors.append(
                        origin.error(
                            "directory '\(directory)' belongs to both \(other.policy.key) and \(category.policy.key)",
                            file: findings.file))
                }
                owners[directory] = position
            }
        }
    }

    private func check(_ category: Category, base: String?, declared: [String], _ findings: inout Findings) {
        let policy = category.policy
        let file = findings.file
        if !category.declared, let base,
            !policy.directories.contains(where: { FileSystemPaths.kind(base + "/" + $0) == .directory })
        {
            // An environment variable only changes a category the file has.
            for origin in [category.retentionOrigin, category.quotaOrigin] {
                guard case .file = origin else { continue }
                findings.errors.append(
                    origin.error(
                        "no category '\(policy.key)': not built in, not under storage.categories and no folder "
                            + "\(policy.directories.joined(separator: ", "))/ in \(base)"
                            + (Suggestion.closest(to: policy.key, among: declared).map { "; did you mean '\($0)'?" }
                                ?? "; declare it under storage.categories (with its directories) to add a category"),
                        file: file))
            }
        }
        if policy.key == CategoryPolicy.protectedKey {
            if policy.retentionSeconds != nil {
                findings.errors.append(
                    category.retentionOrigin.error(
                        "outputs is never deleted by any policy: its retention must be -1 (keep forever)", file: file))
            }
            if policy.onQuota != .alert {
                findings.errors.append(
                    category.onQuotaOrigin.error(
                        "outputs is never deleted by any policy: on_quota must be alert", file: file))
            }
        }
        if policy.retentionSeconds == 0 {
            findings.warnings.append(
                category.retentionOrigin.warning("retention 0: every file is expired at once", file: file))
        }
        if policy.quotaBytes == 0 {
            findings.warnings.append(
                category.quotaOrigin.warning("quota 0: the category is always over quota", file: file))
        }
    }

    /// An absolute, lexically tidied path (`.` and empty components
    /// dropped; `..` kept, since resolving it lexically is wrong across
    /// symlinks).
    fileprivate static func absolute(
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
