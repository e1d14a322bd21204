import StorekeeperHTTP

/// Every endpoint the daemon serves: its path, the methods it takes and the
/// query parameters it knows. The dispatch, the 404 hint, the 405 answer and
/// its `Allow` header all come from here, so an endpoint is added in one place.
enum StorageRoute: CaseIterable {
    /// The status page, for people.
    case page
    case metrics
    case health
    case stats
    case validate
    case cleanup
    case history

    var path: String {
        switch self {
        case .page: "/"
        case .metrics: "/metrics"
        case .health: "/health"
        case .stats: "/api/v1/storage/stats"
        case .validate: "/api/v1/storage/validate"
        case .cleanup: "/api/v1/storage/cleanup"
        case .history: "/api/v1/storage/history"
        }
    }

    /// Reads answer `HEAD` too (the server sends their head without the body).
    var methods: [String] {
        switch self {
        case .page, .metrics, .health, .stats, .validate, .history: ["GET", "HEAD"]
        case .cleanup: ["POST"]
        }
    }

    var queryParameters: Set<String> {
        switch self {
        case .cleanup: ["dry_run"]
        case .history: ["days"]
        case .page, .metrics, .health, .stats, .validate: []
        }
    }

    init?(path: String) {
        guard let route = Self.allCases.first(where: { $0.path == path }) else { return nil }
        self = route
    }

    /// How a client would call it: the path alone for a read, the method first otherwise.
    var usage: String { methods.contains("GET") ? path : "\(methods.joined(separator: " or ")) \(path)" }

    /// The answer to a path no route has: what there is instead.
    static func notFound(_ path: String) -> HTTPResponse {
        .error(.notFound, "no such endpoint: \(path) (try \(allCases.map(\.usage).joined(separator: ", ")))")
    }

    /// The answer to a method this route does not take, with the `Allow` header.
    func methodNotAllowed() -> HTTPResponse {
        .error(
            .methodNotAllowed, "\(path) takes \(methods.joined(separator: " or "))",
            headers: [("Allow", methods.joined(separator: ", "))])
    }

    /// Refuses a query parameter this route does not know, or one given twice.
    func checkQuery(_ query: [(name: String, value: String)]) -> HTTPResponse? {
        var seen: Set<String> = []
        for item in query {
            guard queryParameters.contains(item.name) else {
                return .error(.badRequest, "unknown query parameter '\(item.name)' for \(path)")
            }
            guard seen.insert(item.name).inserted else {
                return .error(.badRequest, "query parameter '\(item.name)' given twice")
            }
        }
        return nil
    }
}
