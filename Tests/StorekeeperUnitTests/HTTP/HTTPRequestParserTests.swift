import Testing

@testable import StorekeeperHTTP

/// The request parser on every shape of request the server must accept or refuse.
@Suite struct HTTPRequestParserTests {
    static func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPRequestParser.Result {
        HTTPRequestParser.parse(Array(text.utf8), limits: limits)
    }

    static func status(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Int? {
        if case .failed(let status, _) = parse(text, limits: limits) { return status.code }
        return nil
    }

    @Test func aPlainGetParses() throws {
        let result = Self.parse(
            "GET /metrics HTTP/1.1\r\nHost: localhost:9464\r\nUser-Agent:  curl/7.88 \r\nAccept: */*\r\n\r\n")
        guard case .complete(let request) = result else {
            Issue.record("expected a request, got \(result)")
            return
        }
        #expect(request.method == "GET")
        #expect(request.path == "/metrics")
        #expect(request.version == "HTTP/1.1")
        #expect(request.header("user-agent") == "curl/7.88")
        #expect(request.header("host") == "localhost:9464")
        #expect(request.body.isEmpty)
    }

    @Test func bareLineFeedsLeadingEmptyLinesAndHTTP10AreAccepted() {
        guard case .complete(let request) = Self.parse("\r\n\nGET /health HTTP/1.0\n\n") else {
            Issue.record("expected a request")
            return
        }
        #expect(request.version == "HTTP/1.0")
        #expect(request.path == "/health")
    }

    @Test func aBodyIsReadToItsLength() {
        let head = "POST /api/v1/storage/cleanup?dry_run=false HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        #expect(Self.parse(head + "ab") == .incomplete)
        guard case .complete(let request) = Self.parse(head + "abcde") else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == Array("abcde".utf8))
        #expect(request.path == "/api/v1/storage/cleanup")
        #expect(request.queryItems?.map(\.name) == ["dry_run"])
        #expect(request.queryItems?.map(\.value) == ["false"])
    }

    @Test func partialRequestsWait() {
        #expect(Self.parse("") == .incomplete)
        #expect(Self.parse("GET /metrics HT") == .incomplete)
        #expect(Self.parse("GET /metrics HTTP/1.1\r\nHost: x\r\n") == .incomplete)
    }

    @Test(
        arguments: [
            ("GET /metrics\r\n\r\n", 400),
            ("GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET http://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost: x\u{1}y\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n", 413),
            ("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            ("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("GET /metrics HTTP/1.x\r\nHost: x\r\n\r\n", 400),
            ("GET /metrics FTP/1.1\r\nHost: x\r\n\r\n", 400),
        ] as [(String, Int)])
    func malformedRequestsAreRefused(text: String, status: Int) {
        #expect(Self.status(text) == status, "\(text.debugDescription)")
    }

    @Test func oversizedRequestsAreRefusedBeforeTheyEnd() {
        let longTarget = "GET /metrics?" + String(repeating: "a", count: 9000)
        #expect(Self.status(longTarget) == 414, "a request line that never ends")
        #expect(Self.status(longTarget + " HTTP/1.1\r\nHost: x\r\n\r\n") == 414)
        let bigHeaders = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20_000)
        #expect(Self.status(bigHeaders) == 431, "a header that never ends")
        #expect(Self.status(bigHeaders + "\r\n\r\n") == 431)
        let many = (0..<101).map { "X-\($0): 1\r\n" }.joined()
        #expect(Self.status("GET / HTTP/1.1\r\nHost: x\r\n" + many + "\r\n") == 431)
    }

    @Test func queriesArePercentDecoded() {
        func items(_ target: String) -> [String]? {
            HTTPRequest(method: "GET", target: target, version: "HTTP/1.1", headers: [], body: [])
                .queryItems?.map { "\($0.name)=\($0.value)" }
        }
        #expect(items("/x") == [])
        #expect(items("/x?") == [])
        #expect(items("/x?a=1&b=two+words&c=%C3%A9&&d") == ["a=1", "b=two words", "c=é", "d="])
        #expect(items("/x?a=%zz") == nil)
        #expect(items("/x?a=%4") == nil)
        #expect(items("/x?a=%FF") == nil, "not UTF-8")
    }

    @Test func responsesCarryLengthDateAndClose() {
        let response = HTTPResponse.error(.methodNotAllowed, "no", headers: [("Allow", "GET, HEAD")])
        let text = String(decoding: response.serialized(date: 784_111_777), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
        #expect(text.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n\r\n{"))
        #expect(text.contains("\r\nContent-Length: \(response.body.count)\r\n"))
        let head = String(decoding: response.serialized(includeBody: false), as: UTF8.self)
        #expect(head.hasSuffix("\r\n\r\n"))
    }
}
