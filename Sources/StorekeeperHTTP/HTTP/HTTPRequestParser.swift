/// Parses one HTTP/1.x request from the bytes read so far (RFC 9112), within
/// the server's limits. Pure, so every malformed shape is a unit test; the
/// server calls it again as more bytes arrive.
public enum HTTPRequestParser {
    public enum Result: Equatable {
        /// More bytes are needed.
        case incomplete
        case complete(HTTPRequest)
        /// Answer with this status and close.
        case failed(HTTPStatus, String)
    }

    public struct Limits: Equatable, Sendable {
        public var maxRequestLineBytes = 8192
        /// The request line and every header line together.
        public var maxHeaderBytes = 16_384
        public var maxHeaderCount = 100
        public var maxBodyBytes = 8192

        public init() {}
    }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// Why a request is refused: the status to answer with, and what to say.
    private struct Refusal: Error {
        let status: HTTPStatus
        let message: String

        init(_ status: HTTPStatus, _ message: String) {
            self.status = status
            self.message = message
        }
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) -> Result {
        do throws(Refusal) {
            guard let head = try head(of: bytes, limits: limits) else { return .incomplete }
            let (method, target, version) = try requestLine(head.lines[0])
            let headers = try headerFields(head.lines.dropFirst())
            let contentLength = try bodyLength(headers, version: version, limits: limits)
            guard bytes.count - head.end >= contentLength else { return .incomplete }
            return .complete(
                HTTPRequest(
                    method: method, target: target, version: version, headers: headers,
                    body: Array(bytes[head.end..<(head.end + contentLength)])))
        } catch {
            return .failed(error.status, error.message)
        }
    }

    /// The head's lines, each without its CR LF (or bare LF), and where the
    /// body starts; nil while the empty line that ends the head has not come.
    private static func head(
        of bytes: [UInt8], limits: Limits
    ) throws(Refusal) -> (lines: [ArraySlice<UInt8>], end: Int)? {
        // A client may send empty lines before a request (RFC 9112 §2.2).
        var start = 0
        while start < bytes.count && (bytes[start] == cr || bytes[start] == lf) { start += 1 }
        let lineTooLong = Refusal(.uriTooLong, "the request line is longer than \(limits.maxRequestLineBytes) bytes")
        let headTooLarge = Refusal(
            .headerFieldsTooLarge, "the request head is larger than \(limits.maxHeaderBytes) bytes")
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        var headEnd: Int?
        for index in start..<bytes.count where bytes[index] == lf {
            var line = bytes[lineStart..<index]
            if line.last == cr { line = line.dropLast() }
            if lines.isEmpty && line.count > limits.maxRequestLineBytes { throw lineTooLong }
            if line.isEmpty {
                headEnd = index + 1
                break
            }
            lines.append(line)
            lineStart = index + 1
        }
        guard let headEnd else {
            if lines.isEmpty && bytes.count - start > limits.maxRequestLineBytes { throw lineTooLong }
            if bytes.count - start > limits.maxHeaderBytes { throw headTooLarge }
            return nil
        }
        if headEnd - start > limits.maxHeaderBytes { throw headTooLarge }
        if lines.count - 1 > limits.maxHeaderCount {
            throw Refusal(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
        }
        return (lines, headEnd)
    }

    /// `method SP request-target SP HTTP-version`, for HTTP/1.0 and 1.1 and an origin-form target.
    private static func requestLine(
        _ line: ArraySlice<UInt8>
    ) throws(Refusal) -> (method: String, target: String, version: String) {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            throw Refusal(.badRequest, "malformed request line")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.utf8.count == 8, version.hasPrefix("HTTP/"),
            version.utf8.dropFirst(5).enumerated().allSatisfy({
                $0.offset == 1 ? $0.element == UInt8(ascii: ".") : isDigit($0.element)
            })
        else { throw Refusal(.badRequest, "malformed HTTP version") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw Refusal(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are served")
        }
        let target = parts[1]
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Refusal(.badRequest, "the request target must be a path starting with /")
        }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: target, as: UTF8.self), version)
    }

    /// The header fields, names in lower case, values without surrounding whitespace.
    private static func headerFields(
        _ lines: ArraySlice<ArraySlice<UInt8>>
    ) throws(Refusal) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
                throw Refusal(.badRequest, "folded header lines are not accepted")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(isTokenByte)
            else { throw Refusal(.badRequest, "malformed header field") }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                value = value.dropFirst()
            }
            while let byte = value.last, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                value = value.dropLast()
            }
            guard value.allSatisfy({ $0 == UInt8(ascii: "\t") || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw Refusal(.badRequest, "control characters in a header value")
            }
            headers.append(
                (
                    String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased(),
                    String(decoding: value, as: UTF8.self)
                ))
        }
        return headers
    }

    /// How many body bytes follow the head: `Content-Length`, or none. An
    /// HTTP/1.1 request needs its `Host`; chunked bodies are not taken.
    private static func bodyLength(
        _ headers: [(name: String, value: String)], version: String, limits: Limits
    ) throws(Refusal) -> Int {
        if version == "HTTP/1.1" && headers.filter({ $0.name == "host" }).count != 1 {
            throw Refusal(.badRequest, "an HTTP/1.1 request needs exactly one Host header")
        }
        if headers.contains(where: { $0.name == "transfer-encoding" }) {
            throw Refusal(.notImplemented, "request bodies with Transfer-Encoding are not accepted")
        }
        let lengths = Set(headers.filter { $0.name == "content-length" }.map(\.value))
        guard let text = lengths.first else { return 0 }
        guard lengths.count == 1, !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(isDigit),
            let length = Int(text)
        else { throw Refusal(.badRequest, "malformed Content-Length") }
        guard length <= limits.maxBodyBytes else {
            throw Refusal(.contentTooLarge, "the request body is larger than \(limits.maxBodyBytes) bytes")
        }
        return length
    }

    /// Whether `bytes` hold a whole head (up to its empty line), so that what
    /// is still missing is the body: the server gives the head and the body
    /// a deadline each. Leading empty lines are skipped as `parse` skips them.
    public static func headIsComplete(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count && (bytes[index] == cr || bytes[index] == lf) { index += 1 }
        while index < bytes.count {
            if bytes[index] == lf {
                let next = index + 1
                if next < bytes.count && bytes[next] == lf { return true }
                if next + 1 < bytes.count && bytes[next] == cr && bytes[next + 1] == lf { return true }
            }
            index += 1
        }
        return false
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// RFC 9110 `tchar`: what a method or a header name may hold.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
