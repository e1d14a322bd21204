import StorekeeperService
import StorekeeperSystem

/// `storekeeper run`: the daemon, in the foreground.
enum RunCommand {
    static let spec = CommandSpec(
        name: "run",
        abstract: "Run the daemon in the foreground: watch the tree and keep the index exact.",
        discussion: """
            Takes the index's writer lock (one daemon per index), reconciles the index with the disk, \
            then follows every change through inotify. Writes .storekeeper/health.json every second. \
            SIGTERM or SIGINT stops it cleanly (exit 0); the next start repairs whatever a crash left. \
            SIGHUP (systemctl reload) reopens the log file and reloads the configuration: retention, quotas, \
            schedules, cleanup and low-disk settings, the log level apply at once; the base, the index, the \
            listen address and the log file need a restart. An invalid file is refused and the running \
            configuration kept.
            """,
        options: NoOptions.self,
        run: run)

    static func run(_: NoOptions, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let logger = try Logger.make(configuration: configuration, environment: invocation.environment)
        try Daemon(
            configuration: configuration, logger: logger, environment: invocation.environment,
            reload: { try invocation.loadConfiguration() }
        ).run()
        return .success
    }
}
