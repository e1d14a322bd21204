/// One line of the append-only `events` log.
public struct IndexEvent: Equatable, Sendable {
    public enum Action: String, Sendable {
        case create, modify, move, delete, trash, restore, evict, skip, error, scan
    }

    public var time: Int64
    public var action: Action
    public var path: [UInt8]?
    public var newPath: [UInt8]?
    public var category: String?
    public var size: Int64?
    public var cause: String
    public var detail: String?

    public init(
        time: Int64, action: Action, path: [UInt8]? = nil, newPath: [UInt8]? = nil, category: String? = nil,
        size: Int64? = nil, cause: String, detail: String? = nil
    ) {
        self.time = time
        self.action = action
        self.path = path
        self.newPath = newPath
        self.category = category
        self.size = size
        self.cause = cause
        self.detail = detail
    }
}
