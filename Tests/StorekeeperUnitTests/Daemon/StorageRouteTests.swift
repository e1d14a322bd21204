import Testing

@testable import StorekeeperHTTP
@testable import StorekeeperService

/// The daemon's endpoints from one table: paths, methods, the 404 hint and the 405 answer.
@Suite struct StorageRouteTests {
    static func body(_ response: HTTPResponse?) -> String { String(decoding: response?.body ?? [], as: UTF8.self) }

    @Test func everyPathNamesItsRoute() {
        for route in StorageRoute.allCases { #expect(StorageRoute(path: route.path) == route) }
        #expect(StorageRoute(path: "/metrics/") == nil)
        #expect(StorageRoute(path: "/api/v1/storage") == nil)
        #expect(Set(StorageRoute.allCases.map(\.path)).count == StorageRoute.allCases.count)
    }

    @Test func theNotFoundAnswerListsEveryEndpoint() {
        let response = StorageRoute.notFound("/nope")
        #expect(response.status == .notFound)
        let body = Self.body(response)
        #expect(
            body.contains(
                "no such endpoint: /nope (try /, /metrics, /health, /api/v1/storage/stats, /api/v1/storage/validate, "
                    + "POST /api/v1/storage/cleanup, /api/v1/storage/history)"))
    }

    @Test func aWrongMethodIsToldWhatIsAllowed() {
        let read = StorageRoute.stats.methodNotAllowed()
        #expect(read.status == .methodNotAllowed)
        #expect(read.headers.contains { $0.0 == "Allow" && $0.1 == "GET, HEAD" })
        #expect(Self.body(read).contains("/api/v1/storage/stats takes GET or HEAD"))
        let cleanup = StorageRoute.cleanup.methodNotAllowed()
        #expect(cleanup.headers.contains { $0.0 == "Allow" && $0.1 == "POST" })
    }

    @Test func onlyKnownQueryParametersPassAndEachOnce() {
        #expect(StorageRoute.cleanup.checkQuery([("dry_run", "false")]) == nil)
        #expect(StorageRoute.metrics.checkQuery([]) == nil)
        let unknown = StorageRoute.metrics.checkQuery([("dry_run", "true")])
        #expect(unknown?.status == .badRequest)
        #expect(Self.body(unknown).contains("unknown query parameter 'dry_run' for /metrics"))
        let twice = StorageRoute.cleanup.checkQuery([("dry_run", "true"), ("dry_run", "false")])
        #expect(Self.body(twice).contains("query parameter 'dry_run' given twice"))
    }
}
