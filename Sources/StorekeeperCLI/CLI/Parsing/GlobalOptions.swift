/// The options of `storekeeper` itself: `--config` and `--help` anywhere on
/// the line, `--version` before the subcommand.
struct GlobalOptions: Sendable {
    var configPath: String?
    var wantsHelp = false
    var wantsVersion = false

    static let config = Option<Self>.value(
        "--config", "file", \.configPath, as: .text, completion: .files,
        help: "Configuration file (default: $STOREKEEPER_CONFIG, then ./config/storekeeper.yaml if it exists, "
            + "then /etc/storekeeper/storekeeper.yaml).")
    static let version = Option<Self>.flag(
        "--version", \.wantsVersion, help: "Show the version.", onlyBeforeCommand: true)
    static let help = Option<Self>.flag("--help", short: "-h", \.wantsHelp, help: "Show help information.")

    /// In the order `storekeeper --help` lists them.
    static let options = [config, version, help]
}
