/// Every environment variable Storekeeper reads, named once. The process's
/// environment is captured at the entry point (main.swift) and passed down as
/// a dictionary; whoever needs a variable looks it up through this type, so
/// no file reads `environ` or spells a variable's name itself, and a test
/// sets the environment by building one.
///
/// The `STORAGE_*` variables that override settings of the file are read by
/// `EnvironmentOverrides` from `variables`.
public struct ProcessEnvironment: Sendable {
    /// The whole environment, for `EnvironmentOverrides` and child processes.
    public let variables: [String: String]

    public init(_ variables: [String: String] = [:]) {
        self.variables = variables
    }

    /// A set, non-empty variable; an empty one means unset, as for the overrides.
    public subscript(_ variable: Variable) -> String? {
        guard let value = variables[variable.rawValue], !value.isEmpty else { return nil }
        return value
    }

    /// The variables other than the settings' overrides.
    public enum Variable: String, Sendable, CaseIterable {
        /// The configuration file, after `--config` and before the places searched.
        case configFile = "STOREKEEPER_CONFIG"
        /// Where the system-wide configuration lives instead of /etc/storekeeper (tests, packages).
        case systemConfigDirectory = "STOREKEEPER_SYSTEM_CONFIG_DIR"
        /// The HTTP listener's address, over `monitoring.listen`.
        case metricsListen = "STOREKEEPER_METRICS_LISTEN"
        /// `journal` or `plain` log lines, over detection.
        case logStyle = "STOREKEEPER_LOG_STYLE"
        /// Set by systemd to the `device:inode` of the journal's stream.
        case journalStream = "JOURNAL_STREAM"
        /// Set by systemd for `Type=notify` services.
        case notifySocket = "NOTIFY_SOCKET"
        /// Seconds between reconciles of folders the watcher cannot watch (tests shorten it).
        case degradedReconcileSeconds = "STOREKEEPER_DEGRADED_RECONCILE_SECONDS"
    }
}

extension ProcessEnvironment: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
