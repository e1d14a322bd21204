import StorekeeperSystem

/// Where things live for one configuration: the base, Storekeeper's own state
/// folder inside it, the index and its locks.
public struct StorageLayout: Sendable {
    public let basePath: String
    public let indexPath: String
    /// The configured categories' top-level folders: the only places the
    /// trash restores into.
    public let categoryDirectories: Set<[UInt8]>

    public init(_ configuration: Configuration) {
        basePath = configuration.basePath
        indexPath = configuration.indexPath
        categoryDirectories = Set(configuration.categories.flatMap(\.directories).map { Array($0.utf8) })
    }

    public var stateDirectory: String { basePath + "/.storekeeper" }
    public var trashDirectory: String { basePath + "/.trash" }
    public var readmePath: String { basePath + "/README.md" }

    /// Held by whoever writes the index from a walk (the daemon, `scan`): two
    /// writers would each sweep the rows the other just added.
    public var writerLockPath: String { indexPath + ".lock" }

    /// An index inside the base but outside `.storekeeper/` would be indexed
    /// itself, and every commit would report a change to the watcher.
    public func validate() throws(LayoutError) {
        let baseWithSlash = basePath.hasSuffix("/") ? basePath : basePath + "/"
        if indexPath.hasPrefix(baseWithSlash) && !indexPath.hasPrefix(stateDirectory + "/") {
            throw LayoutError(
                message: "index_path \(indexPath) is inside the base but not in \(stateDirectory)/; "
                    + "move it there or outside the base")
        }
    }

    /// Space held back so the index can commit on a full disk (`SpaceReserve`).
    public var spaceReserve: SpaceReserve { SpaceReserve(path: stateDirectory + "/reserve") }

    /// Serializes cleanup runs between the daemon, `storekeeper clean` and the
    /// cron fallback: two runs would race for the same candidates.
    public var cleanupLockPath: String { stateDirectory + "/cleanup.lock" }
}

public struct LayoutError: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }
    public var description: String { message }
}
