import StorekeeperConfig
import StorekeeperSystem

/// Where the configuration is looked for, in order: `--config`,
/// `$STOREKEEPER_CONFIG`, `./config/storekeeper.yaml` when it exists (a
/// checkout), then the installed `/etc/storekeeper/storekeeper.yaml`.
enum ConfigLookup {
    static let environmentVariable = ProcessEnvironment.Variable.configFile.rawValue
    static let localFile = "config/storekeeper.yaml"
    /// Moves the system folder, for tests and packagers; never needed on a server.
    static let systemDirectoryVariable = ProcessEnvironment.Variable.systemConfigDirectory.rawValue
    static let systemDirectory = "/etc/storekeeper"

    static func systemFile(_ environment: [String: String]) -> String {
        let directory = ProcessEnvironment(environment)[.systemConfigDirectory] ?? systemDirectory
        return directory + "/storekeeper.yaml"
    }

    /// The file to read, or the error that lists every place tried and how
    /// to name one.
    static func file(
        option: String?, environment: [String: String], exists: (String) -> Bool = FileSystemPaths.exists
    ) throws(ConfigError) -> String {
        if let option { return option }
        if let named = ProcessEnvironment(environment)[.configFile] { return named }
        if exists(localFile) { return localFile }
        let system = systemFile(environment)
        if exists(system) { return system }
        throw ConfigError(
            file: "configuration", line: nil, key: nil,
            message: """
                no configuration file found; tried, in order:
                  --config <file>                 not given
                  $\(environmentVariable)              not set
                  ./\(localFile)       does not exist
                  \(system)  does not exist
                Name one with 'storekeeper <subcommand> --config <file>' or STOREKEEPER_CONFIG=<file>, \
                or install one at \(system) (scripts/install.sh does).
                """)
    }
}

extension Invocation {
    /// The configuration file this invocation names (see `ConfigLookup`);
    /// when none is found, the place the lookup ends at, for messages.
    var configFile: String {
        (try? locateConfigFile()) ?? ConfigLookup.systemFile(environment)
    }

    func locateConfigFile() throws(ConfigError) -> String {
        try ConfigLookup.file(option: configPath, environment: environment)
    }

    /// Loads and validates the configuration; warnings go to stderr. Where
    /// relative paths lead is said by `check` alone, not on every start.
    func loadConfiguration(printWarnings: Bool = true) throws -> Configuration {
        let (configuration, warnings) = try ConfigurationLoader.load(
            file: try locateConfigFile(), environment: environment, currentDirectory: currentDirectory)
        if printWarnings {
            for warning in warnings {
                Console.error("warning: \(warning)")
            }
        }
        return configuration
    }
}
