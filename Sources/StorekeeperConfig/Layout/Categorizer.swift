import StorekeeperSystem

/// Maps a path to its category: the configured key of its top-level folder
/// (`contact-sheets/…` → `contact_sheets`, never the other way round, which
/// made the earlier design miss the folder), the folder's own name for an
/// unmanaged folder, or `/` for a file directly in the base.
public struct Categorizer: Sendable {
    public static let baseCategory = "/"
    private let keyByDirectory: [[UInt8]: String]
    private let configuredKeys: Set<String>

    public init(policies: [CategoryPolicy]) {
        var keyByDirectory: [[UInt8]: String] = [:]
        for policy in policies {
            for directory in policy.directories { keyByDirectory[Array(directory.utf8)] = policy.key }
        }
        self.keyByDirectory = keyByDirectory
        configuredKeys = Set(policies.map(\.key))
    }

    public func category(of path: [UInt8]) -> String {
        guard let slash = path.firstIndex(of: PathBytes.separator) else { return Self.baseCategory }
        return category(ofTopLevelDirectory: Array(path[..<slash]))
    }

    public func category(ofTopLevelDirectory name: [UInt8]) -> String {
        if let key = keyByDirectory[name] { return key }
        let unmanaged = PathBytes.display(name)
        // A stray folder named like a key (`contact_sheets/` beside the configured
        // `contact-sheets/`) must not inherit that key's retention.
        return configuredKeys.contains(unmanaged) ? "unmanaged:" + unmanaged : unmanaged
    }
}
