import StorekeeperConfig
import StorekeeperSystem

/// SIGHUP: the configuration file read again, for the next session.
extension Daemon {
    /// Settings a running daemon cannot change: they name what it holds open
    /// (the base and its watches, the index, the listener, the log file).
    static func restartOnlyKeys(from old: Configuration, to new: Configuration) -> [String] {
        var keys: [String] = []
        if new.basePath != old.basePath { keys.append("storage.base_path") }
        if new.indexPath != old.indexPath { keys.append("storage.index_path") }
        if new.monitoring.metricsListen != old.monitoring.metricsListen { keys.append("monitoring.metrics_listen") }
        if new.monitoring.metricsEnabled != old.monitoring.metricsEnabled { keys.append("monitoring.metrics_enabled") }
        if new.monitoring.allowRemote != old.monitoring.allowRemote { keys.append("monitoring.allow_remote") }
        if new.monitoring.logFile != old.monitoring.logFile { keys.append("monitoring.log_file") }
        return keys
    }

    /// SIGHUP: reads the file again. A valid one is returned for the next
    /// session — except the keys only a restart can change, which keep their
    /// running values and are named in the log. An invalid one is refused and
    /// the running configuration kept, visible in `/health` and the metrics.
    func reloadedConfiguration() -> Configuration? {
        guard let loadConfiguration else { return nil }
        var reloaded: Configuration
        do {
            reloaded = try loadConfiguration()
        } catch {
            health.configReloadSuccessful = false
            health.configProblem =
                "the configuration in \(configuration.sourceFile) was refused on reload; the daemon runs with the one "
                + "it loaded last: \(error)"
            logger.error("configuration reload refused; the running configuration is kept", ["error": "\(error)"])
            return nil
        }
        let refused = Self.restartOnlyKeys(from: configuration, to: reloaded)
        if !refused.isEmpty {
            logger.warning(
                "these settings change only with a restart; they keep their running values",
                ["keys": refused.joined(separator: ",")])
            reloaded.basePath = configuration.basePath
            reloaded.indexPath = configuration.indexPath
            reloaded.monitoring.metricsListen = configuration.monitoring.metricsListen
            reloaded.monitoring.metricsEnabled = configuration.monitoring.metricsEnabled
            reloaded.monitoring.allowRemote = configuration.monitoring.allowRemote
            reloaded.monitoring.logFile = configuration.monitoring.logFile
        }
        health.configReloadSuccessful = true
        health.configLoadedAt = WallClock.now()
        health.configProblem = nil
        logger.info(
            "configuration reloaded", ["file": reloaded.sourceFile, "changed": String(reloaded != configuration)])
        return reloaded
    }
}
