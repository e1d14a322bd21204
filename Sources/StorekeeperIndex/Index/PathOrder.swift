import StorekeeperSystem

/// The order of paths in the index: SQLite's BINARY collation, i.e. bytewise,
/// a prefix before its extensions. The tree walk emits paths in this order so
/// it can be merged with an index range without loading the index into memory.
public enum PathOrder {
    public static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.lexicographicallyPrecedes(b)
    }

    /// The key a directory entry sorts by among its siblings so that a depth-first
    /// walk emits full paths in index order: a directory's subtree holds paths
    /// `name/…`, so the directory sorts as `name/`.
    public static func siblingKey(name: [UInt8], isDirectory: Bool) -> [UInt8] {
        isDirectory ? name + [PathBytes.separator] : name
    }
}

/// The paths strictly inside a directory: `dir/` < path < `dir0` (`0` follows `/`).
public struct SubtreeRange {
    public let lowerExclusive: [UInt8]
    public let upperExclusive: [UInt8]

    public init(_ directory: [UInt8]) {
        lowerExclusive = directory + [PathBytes.separator]
        upperExclusive = directory + [PathBytes.separator + 1]
    }

    public func contains(_ path: [UInt8]) -> Bool {
        PathOrder.less(lowerExclusive, path) && PathOrder.less(path, upperExclusive)
    }
}
