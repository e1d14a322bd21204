import StorekeeperConfig

/// The one policy every removal asks first: the CLI's `clean`, scheduled and
/// caught-up jobs, quota and low-disk relief, `POST /cleanup`, the cron
/// fallback (which runs `clean`) and the trash purge. `cleanup.enabled: false`
/// stops them all — an operator's rollback switch must not leave a path that
/// still deletes — and `cleanup.dry_run: true` makes them all report only.
/// An operator's explicit `storekeeper trash empty` is not asked: it names
/// what it deletes.
public struct CleanupGate: Sendable {
    public let enabled: Bool
    public let dryRun: Bool
    /// Where the switch was set, for the refusal's message.
    public let sourceFile: String

    public init(_ configuration: Configuration) {
        enabled = configuration.cleanup.enabled
        dryRun = configuration.cleanup.dryRun
        sourceFile = configuration.sourceFile
    }

    /// A refused run: nothing was removed.
    public struct Disabled: Error, CustomStringConvertible {
        public let sourceFile: String
        public var description: String {
            "cleanup is disabled in \(sourceFile) (cleanup.enabled: false); nothing was removed "
                + "(a dry run still reports what would go)"
        }
    }

    /// Whether a run asked as `dryRun` may go ahead, and as what: a dry run
    /// always may; a real one only when cleanup is enabled, and it is a dry
    /// run after all when `cleanup.dry_run` is set.
    public func runsDry(asked requested: Bool) throws(Disabled) -> Bool {
        if requested || dryRun { return true }
        guard enabled else { throw Disabled(sourceFile: sourceFile) }
        return false
    }

    /// Whether a removal outside the cleaner (the trash purge) may act now.
    public var allowsRemoval: Bool { enabled && !dryRun }
}
