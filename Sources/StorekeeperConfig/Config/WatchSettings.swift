import StorekeeperSystem

/// How the daemon learns about changes: inotify events, or a reconcile of the
/// whole tree every `pollInterval` for a base on a network or FUSE filesystem,
/// where inotify never sees what other machines write.
public struct WatchSettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Events from the kernel, reconciled on overflow: the index follows
        /// the disk within milliseconds.
        case inotify
        /// A walk compared with the index every `pollInterval`: the index is
        /// at most that late, and each poll costs a walk of the tree.
        case poll
    }

    public var mode: Mode
    public var pollIntervalSeconds: Int64

    public static let defaultPollIntervalSeconds: Int64 = 300
    /// Below this, polling a large tree would never rest.
    public static let minimumPollIntervalSeconds: Int64 = 10

    public init(mode: Mode = .inotify, pollIntervalSeconds: Int64 = WatchSettings.defaultPollIntervalSeconds) {
        self.mode = mode
        self.pollIntervalSeconds = pollIntervalSeconds
    }

    /// Why inotify mode cannot be trusted on `filesystem`, or nil: on a
    /// network or FUSE filesystem the watcher would be silently blind to
    /// other machines' writes, so the daemon refuses to start that way.
    public func inotifyRefusal(base: String, filesystem: FileSystemType) -> String? {
        guard mode == .inotify, let shared = filesystem.sharedName else { return nil }
        return "\(base) is on \(shared): inotify cannot see changes made by other machines; "
            + "set storage.watch.mode: poll (and watch.poll_interval) to reconcile on a timer instead"
    }
}
