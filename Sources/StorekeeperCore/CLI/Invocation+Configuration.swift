extension Invocation {
    /// The configuration file this invocation names: `--config`, then
    /// `$STOREKEEPER_CONFIG`, then `config/storekeeper.yaml`.
    var configFile: String {
        if let configPath { return configPath }
        if let fromEnvironment = environment["STOREKEEPER_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "config/storekeeper.yaml"
    }

    /// Loads and validates the configuration; warnings go to stderr.
    func loadConfiguration(printWarnings: Bool = true) throws -> Configuration {
        let (configuration, warnings) = try ConfigurationLoader.load(
            file: configFile, environment: environment, currentDirectory: currentDirectory)
        if printWarnings {
            for warning in warnings { Console.error("warning: \(warning)") }
        }
        return configuration
    }
}
