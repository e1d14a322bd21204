import StorekeeperConfig
import StorekeeperSystem

/// `storekeeper lifecycle --format s3`: the retention policy as an object
/// store's lifecycle rules, for the same categories kept in a bucket. The
/// document goes to stdout; what it cannot carry over goes to stderr.
enum LifecycleCommand {
    static let spec = CommandSpec(
        name: "lifecycle",
        abstract:
            "Print the retention policy as an S3 lifecycle configuration (JSON), for a bucket with the same folders.",
        discussion: """
            Apply it with 'aws s3api put-bucket-lifecycle-configuration --bucket B \
            --lifecycle-configuration file://lifecycle.json'. Retentions become whole days rounded up; \
            outputs and categories kept forever get no rule; incomplete multipart uploads are aborted after \
            a day; with versioning on, old versions go after trash_retention. Quotas have no S3 equivalent, \
            and exclude patterns refuse the export unless --ignore-exclude is given. Each difference from \
            the local policy is printed on stderr.
            """,
        options: Options.self,
        run: run)

    struct Options: CommandOptions {
        enum Format: String, CaseIterable, Sendable {
            case s3
        }

        var format = Format.s3
        var prefix: String?
        var ignoreExclude = false

        static let options: [Option<Self>] = [
            .value(
                "--format", "format", \.format, as: .choice,
                help: "The lifecycle dialect: s3 (the default, and for now the only one)."),
            .value(
                "--prefix", "prefix", \.prefix, as: .text,
                help: "Key prefix the base maps to in the bucket, ending in '/' (default: the bucket's root)."),
            .flag(
                "--ignore-exclude", \.ignoreExclude,
                help: "Export although cleanup.exclude is set: the bucket then expires what those patterns protect."),
        ]
    }

    static func run(_ options: Options, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let lifecycle: S3Lifecycle
        do {
            lifecycle = try S3Lifecycle(
                configuration, prefix: options.prefix ?? "", ignoringExclude: options.ignoreExclude)
        } catch {
            Console.error("storekeeper: \(error.description)")
            return .failure
        }
        for note in lifecycle.notes { Console.error("note: \(note)") }
        Console.out(lifecycle.json.serialized())
        return .success
    }
}
