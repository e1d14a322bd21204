import StorekeeperSystem

/// Reads the `storage:` section of a parsed config file into a draft.
///
/// Every key is known: an unknown one is an error naming its path, because
/// a misspelt `retension:` silently keeping the defaults would delete data
/// on a schedule nobody chose.
struct ConfigurationDecoder {
    let file: String
    private(set) var warnings: [ConfigWarning] = []
    /// Every mistake found, in file order as far as the sections allow: a
    /// section stops at its first bad value, the others are still read.
    private(set) var errors: [ConfigError] = []

    init(file: String) {
        self.file = file
    }

    mutating func decode(_ root: YAMLNode) throws(ConfigError) -> ConfigurationDraft {
        var storage: YAMLMappingEntry?
        for entry in try mapping(root, "") {
            if entry.key == "storage" {
                storage = entry
            } else {
                warnings.append(
                    ConfigWarning(
                        file: file, line: entry.keyLine, key: entry.key,
                        message: "ignored: not a Storekeeper setting (left to the host application)"))
            }
        }
        guard let storage else {
            let keys = (try? mapping(root, "")) ?? []
            if let typo = keys.first(where: { Suggestion.closest(to: $0.key, among: ["storage"]) != nil }) {
                throw ConfigError(
                    file: file, line: typo.keyLine, key: typo.key,
                    message: "missing the 'storage' section; did you mean 'storage'?")
            }
            throw ConfigError(file: file, line: nil, key: "storage", message: "missing the 'storage' section")
        }
        var draft = ConfigurationDraft()
        draft.storageLine = storage.keyLine
        for entry in try mapping(withoutUnknownKeys(storage.value, "storage"), "storage") {
            do throws(ConfigError) {
                try decodeEntry(entry, into: &draft)
            } catch {
                errors.append(error)
            }
        }
        return draft
    }

    /// `node` with the unknown keys of the known sections taken out and
    /// reported, all of them, so that a section read afterwards (which stops
    /// at its first mistake) still reaches the bad values after a typo.
    private mutating func withoutUnknownKeys(_ node: YAMLNode, _ path: String) -> YAMLNode {
        guard case .mapping(let entries, let line) = node else { return node }
        let known = ConfigKeys.siblings(of: path + ".x")
        var kept: [YAMLMappingEntry] = []
        for entry in entries {
            let childPath = path + "." + entry.key
            if path == "storage.categories" || known.contains(entry.key) {
                kept.append(
                    YAMLMappingEntry(
                        key: entry.key, keyLine: entry.keyLine, value: withoutUnknownKeys(entry.value, childPath)))
            } else if known.isEmpty {
                kept.append(entry)
            } else {
                errors.append(unknownKey(entry, childPath))
            }
        }
        return .mapping(kept, line: line)
    }

    private mutating func decodeEntry(_ entry: YAMLMappingEntry, into draft: inout ConfigurationDraft)
        throws(ConfigError)
    {
        let path = "storage." + entry.key
        let origin = ConfigOrigin.file(line: entry.value.line, key: path)
        switch entry.key {
        case "base_path":
            draft.basePath = (try string(entry.value, path), origin)
        case "index_path":
            draft.indexPath = try optionalString(entry.value, path).map { ($0, origin) }
        case "retention":
            for item in try mapping(entry.value, path) {
                if let error = Self.attempt({ () throws(ConfigError) in
                    let index = try category(item, in: path, of: &draft)
                    let itemPath = path + "." + item.key
                    let seconds = try parsed(item.value, itemPath, ConfigValueParser.seconds)
                    draft.setRetention(seconds, at: index, origin: .file(line: item.value.line, key: itemPath))
                }) {
                    errors.append(error)
                }
            }
        case "quotas":
            for item in try mapping(entry.value, path) {
                if let error = Self.attempt({ () throws(ConfigError) in
                    let index = try category(item, in: path, of: &draft)
                    let itemPath = path + "." + item.key
                    let bytes = try parsed(item.value, itemPath, ConfigValueParser.bytes)
                    draft.setQuota(bytes, at: index, origin: .file(line: item.value.line, key: itemPath))
                }) {
                    errors.append(error)
                }
            }
        case "categories":
            for item in try mapping(entry.value, path) {
                if let error = Self.attempt({ () throws(ConfigError) in
                    let index = try category(item, in: path, of: &draft)
                    draft.categories[index].declared = true
                    try decodeCategory(item, path: path + "." + item.key, into: &draft.categories[index])
                }) {
                    errors.append(error)
                }
            }
        case "cleanup":
            draft.cleanup = try decodeCleanup(entry.value, path)
        case "monitoring":
            draft.monitoring = try decodeMonitoring(entry.value, path)
        case "watch":
            draft.watch = try decodeWatch(entry.value, path)
        default:
            throw unknownKey(entry, path)
        }
    }

    /// One item's mistake, so that the next item is still read.
    private static func attempt(_ body: () throws(ConfigError) -> Void) -> ConfigError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Sections

    private func category(
        _ entry: YAMLMappingEntry, in path: String, of draft: inout ConfigurationDraft
    ) throws(ConfigError) -> Int {
        let key = entry.key
        let valid =
            key.unicodeScalars.first.map { ("a"..."z").contains($0) } == true
            && key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard valid else {
            throw ConfigError(
                file: file, line: entry.keyLine, key: path + "." + key,
                message: "a category key is lowercase letters, digits and '_', starting with a letter")
        }
        return draft.categoryIndex(creating: key)
    }

    private func decodeCategory(
        _ entry: YAMLMappingEntry, path: String, into category: inout ConfigurationDraft.Category
    ) throws(ConfigError) {
        for field in try mapping(entry.value, path) {
            let fieldPath = path + "." + field.key
            switch field.key {
            case "directories":
                let directories = try stringList(field.value, fieldPath, check: directoryNameProblem)
                guard !directories.isEmpty else {
                    throw error(field.value, fieldPath, "a category needs at least one directory")
                }
                category.policy.directories = directories
                category.directoriesOrigin = .file(line: field.keyLine, key: fieldPath)
            case "on_quota":
                category.policy.onQuota = try choice(field.value, fieldPath, CategoryPolicy.OnQuota.self)
                category.onQuotaOrigin = .file(line: field.value.line, key: fieldPath)
            case "age_by":
                category.policy.ageBy = try choice(field.value, fieldPath, CategoryPolicy.AgeBy.self)
            default:
                throw unknownKey(field, fieldPath)
            }
        }
    }

    /// A folder directly under the base path; dot-folders are refused
    /// because `.storekeeper` and `.trash` are Storekeeper's own.
    private func directoryNameProblem(_ name: String) -> String? {
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") || name.unicodeScalars.contains("\0") {
            return "'\(name)' is not a top-level folder name: one path component, not starting with '.'"
        }
        return nil
    }

    private func decodeCleanup(_ node: YAMLNode, _ path: String) throws(ConfigError) -> CleanupSettings {
        var cleanup = CleanupSettings()
        for field in try mapping(node, path) {
            let fieldPath = path + "." + field.key
            let value = field.value
            switch field.key {
            case "enabled": cleanup.enabled = try bool(value, fieldPath)
            case "schedule": cleanup.schedule = try cron(value, fieldPath)
            case "temp_schedule": cleanup.tempSchedule = try cron(value, fieldPath)
            case "dry_run": cleanup.dryRun = try bool(value, fieldPath)
            case "batch_size": cleanup.batchSize = try positiveInteger(value, fieldPath)
            case "use_trash": cleanup.useTrash = try bool(value, fieldPath)
            case "trash_retention":
                let seconds = try parsed(value, fieldPath, ConfigValueParser.seconds)
                guard seconds >= 0 else {
                    throw error(value, fieldPath, "the trash must be emptied eventually: -1 is not allowed here")
                }
                cleanup.trashRetentionSeconds = seconds
            case "exclude":
                // Matched like .gitignore lines (ExcludePattern): a leading '/'
                // anchors at base_path, so an absolute path cannot be written here.
                cleanup.exclude = try stringList(value, fieldPath, check: ExcludePattern.problem)
            case "max_files_per_run":
                cleanup.maxFilesPerRun = isNull(value) ? nil : try positiveInteger(value, fieldPath)
            case "low_disk":
                for item in try mapping(value, fieldPath) {
                    let itemPath = fieldPath + "." + item.key
                    switch item.key {
                    case "evict_unexpired": cleanup.evictUnexpiredOnLowDisk = try bool(item.value, itemPath)
                    case "evict_below_percent":
                        let percent = try number(item.value, itemPath)
                        guard (0...100).contains(percent) else {
                            throw error(
                                item.value, itemPath,
                                "expected a percentage from 0 to 100, found \(scalarText(item.value))")
                        }
                        cleanup.evictUnexpiredBelowPercent = percent
                    default: throw unknownKey(item, itemPath)
                    }
                }
                if cleanup.evictUnexpiredOnLowDisk && cleanup.evictUnexpiredBelowPercent == nil {
                    throw error(
                        value, fieldPath + ".evict_below_percent",
                        "evict_unexpired: true needs its own threshold, lower than alert_threshold_percent (e.g. 5)")
                }
            default:
                throw unknownKey(field, fieldPath)
            }
        }
        return cleanup
    }

    private func decodeMonitoring(_ node: YAMLNode, _ path: String) throws(ConfigError) -> MonitoringSettings {
        var monitoring = MonitoringSettings()
        var listenNode: YAMLNode?
        for field in try mapping(node, path) {
            let fieldPath = path + "." + field.key
            let value = field.value
            switch field.key {
            case "log_level":
                let text = try string(value, fieldPath)
                guard let level = MonitoringSettings.LogLevel(configValue: text) else {
                    throw error(value, fieldPath, "expected DEBUG, INFO, WARNING or ERROR, found '\(text)'")
                }
                monitoring.logLevel = level
            case "metrics_enabled":
                monitoring.metricsEnabled = try bool(value, fieldPath)
            case "alert_threshold_percent":
                let percent = try number(value, fieldPath)
                guard (0...100).contains(percent) else {
                    throw error(value, fieldPath, "expected a percentage from 0 to 100, found \(scalarText(value))")
                }
                monitoring.alertThresholdPercent = percent
            case "min_free_bytes":
                let bytes = try parsed(value, fieldPath, ConfigValueParser.bytes)
                monitoring.minFreeBytes = bytes < 0 ? nil : bytes
            case "log_file":
                monitoring.logFile = try optionalString(value, fieldPath)
            case "metrics_listen":
                monitoring.metricsListen = try listenAddress(value, fieldPath)
                listenNode = value
            case "allow_remote":
                monitoring.allowRemote = try bool(value, fieldPath)
            case "textfile_path":
                monitoring.textfilePath = try optionalString(value, fieldPath)
            case "event_retention":
                let seconds = try parsed(value, fieldPath, ConfigValueParser.seconds)
                monitoring.eventRetentionSeconds = seconds < 0 ? nil : seconds
            case "event_log_max_bytes":
                monitoring.eventLogMaxBytes = try eventLogMaxBytes(value, fieldPath)
            case "history_interval":
                monitoring.historyIntervalSeconds = try positiveSeconds(value, fieldPath, minimum: 10)
            case "history_retention":
                monitoring.historyRetentionSeconds = try positiveSeconds(value, fieldPath, minimum: 86_400)
            default:
                throw unknownKey(field, fieldPath)
            }
        }
        if monitoring.metricsEnabled, let listenNode, let problem = monitoring.listenProblem(monitoring.metricsListen) {
            throw error(listenNode, path + ".metrics_listen", problem)
        }
        return monitoring
    }

    private func decodeWatch(_ node: YAMLNode, _ path: String) throws(ConfigError) -> WatchSettings {
        var watch = WatchSettings()
        for field in try mapping(node, path) {
            let fieldPath = path + "." + field.key
            switch field.key {
            case "mode":
                watch.mode = try choice(field.value, fieldPath, WatchSettings.Mode.self)
            case "poll_interval":
                let seconds = try parsed(field.value, fieldPath, ConfigValueParser.seconds)
                guard seconds >= WatchSettings.minimumPollIntervalSeconds else {
                    throw error(
                        field.value, fieldPath,
                        "expected at least \(WatchSettings.minimumPollIntervalSeconds)s, found \(scalarText(field.value))"
                    )
                }
                watch.pollIntervalSeconds = seconds
            default:
                throw unknownKey(field, fieldPath)
            }
        }
        return watch
    }

    /// A size of at least `MonitoringSettings.smallestEventLogBound`, or nil for -1.
    private func eventLogMaxBytes(_ node: YAMLNode, _ path: String) throws(ConfigError) -> Int64? {
        let bytes = try parsed(node, path, ConfigValueParser.bytes)
        if bytes < 0 { return nil }
        let minimum = MonitoringSettings.smallestEventLogBound
        guard bytes >= minimum else {
            throw error(
                node, path,
                "expected a size of at least \(Formatting.bytes(minimum)) (e.g. 256MiB), or -1 for no size bound, "
                    + "found \(scalarText(node))")
        }
        return bytes
    }

    /// A duration of at least `minimum` seconds.
    private func positiveSeconds(_ node: YAMLNode, _ path: String, minimum: Int64) throws(ConfigError) -> Int64 {
        let seconds = try parsed(node, path, ConfigValueParser.seconds)
        guard seconds >= minimum else {
            throw error(node, path, "expected at least \(Formatting.duration(minimum)), found \(scalarText(node))")
        }
        return seconds
    }
}
