import StorekeeperConfig
import StorekeeperIndex
import StorekeeperService
import StorekeeperSystem

/// `storekeeper jobs`: the daemon's scheduled jobs, their last and next runs.
enum JobsCommand {
    static let spec = CommandSpec(
        name: "jobs",
        abstract: "List scheduled jobs with their last and next run (UTC).",
        discussion: """
            Read from the index's jobs table, which the daemon keeps. A job the daemon has not \
            registered yet shows its next run from the configuration and no last run.
            """,
        options: OutputOptions.self,
        run: run)

    static func run(_ options: OutputOptions, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        let store = try IndexStore(path: layout.indexPath, readOnly: true)
        let recorded = Dictionary(uniqueKeysWithValues: try store.jobs().map { ($0.name, $0) })
        let now = WallClock.now()
        var rows: [(name: String, schedule: String, last: Int64?, next: Int64?, status: String?)] = []
        for (name, schedule) in DaemonJobs.schedules(configuration) {
            let record = recorded[name]
            let next =
                record.flatMap { $0.schedule == schedule ? $0.nextRunAt : nil }
                ?? (try? CronExpression(schedule))?.nextFire(after: now)
            rows.append((name, schedule, record?.lastStartedAt, next, record?.lastStatus))
        }
        if options.json {
            Console.out(
                JSONValue.array(
                    rows.map { row in
                        .object([
                            ("name", .string(row.name)),
                            ("schedule", .string(row.schedule)),
                            ("last_run", row.last.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
                            ("next_run", row.next.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
                            ("last_status", row.status.map(JSONValue.string) ?? .null),
                        ])
                    }
                ).serialized())
            return .success
        }
        Console.out(
            Formatting.pad("JOB", 14) + Formatting.pad("SCHEDULE", 14) + Formatting.pad("LAST RUN", 22)
                + Formatting.pad("NEXT RUN", 22) + "LAST STATUS")
        for row in rows {
            Console.out(
                Formatting.pad(row.name, 14) + Formatting.pad(row.schedule, 14)
                    + Formatting.pad(row.last.map(Formatting.isoTimestamp) ?? "never", 22)
                    + Formatting.pad(row.next.map(Formatting.isoTimestamp) ?? "-", 22) + (row.status ?? "-"))
        }
        return .success
    }
}
