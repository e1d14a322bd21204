import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// The Prometheus text of one `MetricsSnapshot`: what `GET /metrics`, the
/// textfile collector file and `stats --prometheus` print, all the same.
/// Label sets that are known in advance (every configured category with
/// every reason) are exported at zero from the start, so a rule never meets
/// a missing series; no sample carries a timestamp (the textfile collector
/// refuses those). The list with meanings is in docs/operations.md.
public enum MetricsRenderer {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var text = PrometheusText()
        build(snapshot, &text)
        categories(snapshot, &text)
        filesystem(snapshot, &text)
        cleanup(snapshot, &text)
        eventLog(snapshot, &text)
        daemon(snapshot, &text)
        return text.text
    }

    private typealias Samples = [([(String, String)], Double)]

    private static func build(_ snapshot: MetricsSnapshot, _ text: inout PrometheusText) {
        text.family(
            "storekeeper_build_info", .gauge, help: "Always 1; the version and the index schema as labels.",
            samples: [([("version", StorekeeperVersion.current), ("index_schema", String(Database.schemaVersion))], 1)])
    }

    private static func categories(_ snapshot: MetricsSnapshot, _ text: inout PrometheusText) {
        func labelled(_ value: (CategoryUsage) -> Double?) -> Samples {
            snapshot.categories.compactMap { usage in value(usage).map { ([("category", usage.category)], $0) } }
        }
        text.family(
            "storekeeper_category_files", .gauge, help: "Files indexed per category.",
            samples: labelled { Double($0.files) })
        text.family(
            "storekeeper_category_bytes", .gauge,
            help: "Apparent bytes of the files indexed per category, each inode once.",
            samples: labelled { Double($0.bytes) })
        text.family(
            "storekeeper_category_allocated_bytes", .gauge,
            help: "Bytes the disk allocates for the files per category, each inode once; quotas count these.",
            samples: labelled { Double($0.allocated) })
        text.family(
            "storekeeper_category_quota_bytes", .gauge, help: "Quota per category, where one is set.",
            samples: labelled { $0.quotaBytes.map(Double.init) })
        text.family(
            "storekeeper_category_retention_seconds", .gauge, help: "Retention per category, where files expire.",
            samples: labelled { $0.retentionSeconds.map(Double.init) })
        text.family(
            "storekeeper_category_oldest_file_timestamp_seconds", .gauge,
            help: "Modification time of the oldest indexed file per category.",
            samples: labelled { $0.oldestMtime.map(Double.init) })
        text.family(
            "storekeeper_category_over_quota", .gauge,
            help: "1 while a category with a quota is over it; on_quota says whether the cleaner evicts.",
            samples: snapshot.categories.compactMap { usage in
                guard let quota = usage.quotaBytes else { return nil }
                return (
                    [("category", usage.category), ("on_quota", usage.onQuota ?? "alert")],
                    usage.allocated > quota ? 1 : 0
                )
            })
        text.family(
            "storekeeper_trash_files", .gauge, help: "Items in the trash, waiting for their retention.",
            samples: [([], Double(snapshot.trash.files))])
        text.family(
            "storekeeper_trash_bytes", .gauge, help: "Bytes in the trash.",
            samples: [([], Double(snapshot.trash.bytes))])
    }

    private static func eventLog(_ snapshot: MetricsSnapshot, _ text: inout PrometheusText) {
        let log = snapshot.eventLog
        text.family(
            "storekeeper_event_log_rows", .gauge, help: "Rows in the index's events log.",
            samples: [([], Double(log.rows))])
        text.family(
            "storekeeper_event_log_bytes", .gauge,
            help: "Estimated bytes the events log takes in the index (rows and their time index).",
            samples: [([], Double(log.bytes))])
        text.family(
            "storekeeper_event_log_max_bytes", .gauge,
            help: "monitoring.event_log_max_bytes, where a size bound is set: above it the oldest events are pruned.",
            samples: snapshot.configuration.monitoring.eventLogMaxBytes.map { [([], Double($0))] } ?? [])
        text.family(
            "storekeeper_event_log_oldest_timestamp_seconds", .gauge,
            help: "When the oldest row of the events log was written.",
            samples: log.oldest.map { [([], Double($0))] } ?? [])
    }

    private static func filesystem(_ snapshot: MetricsSnapshot, _ text: inout PrometheusText) {
        let alerts = snapshot.alerts
        text.family(
            "storekeeper_filesystem_free_threshold_ratio", .gauge,
            help: "monitoring.alert_threshold_percent as a ratio: below it the disk is low.",
            samples: [([], alerts.thresholdPercent / 100)])
        guard let space = snapshot.space else { return }
        text.family(
            "storekeeper_filesystem_free_bytes", .gauge,
            help: "Bytes available to unprivileged users on the base's filesystem.",
            samples: [([], Double(space.freeBytes))])
        text.family(
            "storekeeper_filesystem_size_bytes", .gauge, help: "Size of the filesystem holding the base.",
            samples: [([], Double(space.totalBytes))])
        text.family(
            "storekeeper_filesystem_low_space", .gauge, help: "1 while free space is under the alert threshold.",
            samples: [([], alerts.lowDisk ? 1 : 0)])
    }

    private static func cleanup(_ snapshot: MetricsSnapshot, _ text: inout PrometheusText) {
        let known = snapshot.configuration.categories.map(\.key)

        var totals: [String: [String: IndexStore.CleanupTotal]] = [:]
        for row in snapshot.cleanupTotals { totals[row.category, default: [:]][row.reason] = row }
        let reasons = IndexStore.CleanupReason.allCases.map(\.rawValue)
        let totalKeys = grid(known, reasons, extra: snapshot.cleanupTotals.map { ($0.category, $0.reason) })
        func totalSamples(_ value: (IndexStore.CleanupTotal) -> Int64) -> Samples {
            totalKeys.map { category, reason in
                ([("category", category), ("reason", reason)], Double(totals[category]?[reason].map(value) ?? 0))
            }
        }
        text.family(
            "storekeeper_cleanup_removed_files_total", .counter,
            help: "Files the cleaner removed (deleted or trashed), and trash items purged, by category and reason.",
            samples: totalSamples(\.files))
        text.family(
            "storekeeper_cleanup_freed_bytes_total", .counter,
            help: "Bytes of the files the cleaner removed, and of the trash items purged, by category and reason.",
            samples: totalSamples(\.bytes))
        text.family(
            "storekeeper_cleanup_errors_total", .counter,
            help: "Files the cleaner, or a trash purge, could not remove, by category and reason.",
            samples: totalSamples(\.errors))

        var skips: [String: [String: Int64]] = [:]
        for row in snapshot.cleanupSkips { skips[row.category, default: [:]][row.reason] = row.files }
        let skipKeys = grid(
            known, SkipReason.allCases.map(\.rawValue), extra: snapshot.cleanupSkips.map { ($0.category, $0.reason) })
        text.family(
            "storekeeper_cleanup_skipped_files_total", .counter,
            help: "Files the cleaner selected and left because the disk disagreed with the index, by skip reason.",
            samples: skipKeys.map { category, reason in
                ([("category", category), ("reason", reason)], Double(skips[category]?[reason] ?? 0))
            })

        text.family(
            "storekeeper_cleanup_last_success_timestamp_seconds", .gauge,
            help: "When the last cleanup run (not a dry run) finished without failing; 0 before the first.",
            samples: [([], Double(snapshot.lastSuccess?.finishedAt ?? 0))])
        text.family(
            "storekeeper_cleanup_last_run_timestamp_seconds", .gauge,
            help: "When the last cleanup run (not a dry run) finished, successful or not; 0 before the first.",
            samples: [([], Double(snapshot.lastRun?.finishedAt ?? 0))])
        text.family(
            "storekeeper_cleanup_last_duration_seconds", .gauge,
            help: "How long the last cleanup run (not a dry run) took.",
            samples: [([], Double(snapshot.lastRun.map { $0.finishedAt - $0.startedAt } ?? 0))])
        text.family(
            "storekeeper_cleanup_last_run_failed", .gauge,
            help: "1 when the last cleanup run (not a dry run) failed or could not remove some files.",
            samples: [([], snapshot.alerts.failedRun == nil ? 0 : 1)])
    }

    /// Every known category with every reason, then any other pair the index holds.
    private static func grid(_ categories: [String], _ reasons: [String], extra: [(String, String)]) -> [(
        String, String
    )] {
        var keys = categories.flatMap { category in reasons.map { (category, $0) } }
        var seen = Set(keys.map { "\($0.0)\u{0}\($0.1)" })
        for pair in extra where seen.insert("\(pair.0)\u{0}\(pair.1)").inserted { keys.append(pair) }
        return keys
    }

    private static func daemon(_ snapshot: MetricsSnapshot, _ text: inout PrometheusText) {
        text.family(
            "storekeeper_daemon_up", .gauge, help: "1 while the watcher daemon runs and keeps the index.",
            samples: [([], snapshot.daemon == nil ? 0 : 1)])
        guard let daemon = snapshot.daemon else { return }
        daemonState(daemon, &text)
        watcher(daemon.watcher, &text)
        index(daemon, &text)
    }

    /// The daemon process: when it started, its configuration, its faults.
    private static func daemonState(_ daemon: HealthFile, _ text: inout PrometheusText) {
        text.single(
            "storekeeper_daemon_start_time_seconds", .gauge, "When the daemon started (Unix seconds).",
            Double(daemon.startedAt))
        text.single("storekeeper_watches", .gauge, "Directories watched with inotify.", Double(daemon.watcher.watches))
        text.single(
            "storekeeper_config_last_reload_successful", .gauge,
            "1 when the last configuration reload (SIGHUP) succeeded; 0 while the file on disk is refused.",
            daemon.configReloadSuccessful ? 1 : 0)
        text.single(
            "storekeeper_config_last_reload_success_timestamp_seconds", .gauge,
            "When the configuration was last loaded successfully (the start counts).", Double(daemon.configLoadedAt))
        text.single(
            "storekeeper_daemon_problems", .gauge,
            "Faults the daemon is containing now (a failing step, a locked or full index, an unwritable health file).",
            Double(daemon.problems.count))
        text.family(
            "storekeeper_daemon_step_failures_total", .counter,
            help: "Failures of each step of the daemon's loop, each logged and retried with backoff.",
            samples: ["index", "monitoring", "policy", "degraded_reconcile"].map {
                ([("step", $0)], Double(daemon.stepFailures[$0] ?? 0))
            })
    }

    /// What the watcher did and where it stands.
    private static func watcher(_ watcher: WatcherStatus, _ text: inout PrometheusText) {
        text.single(
            "storekeeper_watcher_degraded", .gauge, "1 while some directories cannot be watched (inotify watch limit).",
            watcher.degraded ? 1 : 0)
        text.single(
            "storekeeper_watcher_unwatched_directories", .gauge,
            "Directories left unwatched, reconciled periodically instead.", Double(watcher.unwatchedDirectories))
        text.single(
            "storekeeper_watcher_unreadable_directories", .gauge,
            "Directories the daemon cannot read (permissions); their rows are kept as they were.",
            Double(watcher.unreadableDirectories))
        text.family(
            "storekeeper_watcher_events_total", .counter,
            help: "Index changes the daemon applied from inotify events, by kind.",
            samples: [
                ([("kind", "created")], Double(watcher.created)), ([("kind", "modified")], Double(watcher.modified)),
                ([("kind", "moved")], Double(watcher.moved)), ([("kind", "deleted")], Double(watcher.deleted)),
            ])
        text.single(
            "storekeeper_watcher_inotify_events_total", .counter, "inotify events the daemon read and processed.",
            Double(watcher.eventsProcessed))
        text.single(
            "storekeeper_watcher_overflows_total", .counter,
            "Event queue overflows (the kernel's or ours), each repaired by a full reconcile.",
            Double(watcher.overflows))
        text.single(
            "storekeeper_watcher_watch_failures_total", .counter, "Directories that could not be watched.",
            Double(watcher.watchFailures))
        text.family(
            "storekeeper_watcher_reconciles_total", .counter,
            help: "Reconciles of the index with the disk: the whole tree, or one subtree.",
            samples: [
                ([("scope", "full")], Double(watcher.fullReconciles)),
                ([("scope", "subtree")], Double(watcher.subtreeReconciles)),
            ])
        text.family(
            "storekeeper_watcher_reconcile_changes_total", .counter,
            help: "Rows reconciles added, changed or removed: what they found the index missed.",
            samples: [
                ([("change", "added")], Double(watcher.reconcileAdded)),
                ([("change", "changed")], Double(watcher.reconcileChanged)),
                ([("change", "removed")], Double(watcher.reconcileRemoved)),
            ])
    }

    /// How far the index is behind the disk.
    private static func index(_ daemon: HealthFile, _ text: inout PrometheusText) {
        text.single(
            "storekeeper_index_divergences_total", .counter,
            "Differences the weekly verify found between the index and the disk (then repaired).",
            Double(daemon.watcher.divergences))
        text.single(
            "storekeeper_index_lag_seconds", .gauge, "Age of the oldest event not yet in the index.", daemon.lagSeconds)
        text.single(
            "storekeeper_index_queue_events", .gauge, "Events read and waiting for the indexer.",
            Double(daemon.queueLength))
        if let commit = daemon.watcher.lastCommitAt {
            text.single(
                "storekeeper_index_last_commit_timestamp_seconds", .gauge, "When the daemon last wrote the index.",
                Double(commit))
        }
    }
}

extension PrometheusText {
    /// A family of one sample without labels.
    fileprivate mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help: help, samples: [([], value)])
    }
}
