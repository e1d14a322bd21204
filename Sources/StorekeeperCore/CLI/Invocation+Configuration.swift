extension Invocation {
    /// The configuration file this invocation names: `--config`, then
    /// `$STOREKEEPER_CONFIG`, then `config/storekeeper.yaml`.
    var configFile: String {
        if let configPath { return configPath }
        if let fromEnvironment = environment["STOREKEEPER_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "config/storekeeper.yaml"
    }

    /// Loads and validates the configuration; warnings go to stderr. That a
    /// relative path follows the working directory is said by `check` and the
    /// daemon (where it matters: a service starts in /), not by every command.
    func loadConfiguration(printWarnings: Bool = true) throws -> Configuration {
        let (configuration, warnings) = try ConfigurationLoader.load(
            file: configFile, environment: environment, currentDirectory: currentDirectory)
        if printWarnings {
            let sayRelative = command.name == "check" || command.name == "run"
            for warning in warnings where sayRelative || !warning.message.hasPrefix("relative path") {
                Console.error("warning: \(warning)")
            }
        }
        return configuration
    }
}
