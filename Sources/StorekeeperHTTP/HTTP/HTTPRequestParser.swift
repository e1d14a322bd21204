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

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) -> Result {
        // A client may send empty lines before a request (RFC 9112 §2.2).
        var start = 0
        while start < bytes.count && (bytes[start] == cr || bytes[start] == lf) { start += 1 }

        // Each line without its CR LF (or bare LF), up to the empty line.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        var headEnd: Int?
        var index = start
        while index < bytes.count {
            if bytes[index] == lf {
                var line = bytes[lineStart..<index]
                if line.last == cr { line = line.dropLast() }
                if lines.isEmpty && line.count > limits.maxRequestLineBytes {
                    return .failed(.uriTooLong, "the request line is longer than \(limits.maxRequestLineBytes) bytes")
                }
                if line.isEmpty {
                    headEnd = index + 1
                    break
                }
                lines.append(line)
                lineStart = index + 1
            }
            index += 1
        }
        guard let headEnd else {
            if lines.isEmpty && bytes.count - start > limits.maxRequestLineBytes {
                return .failed(.uriTooLong, "the request line is longer than \(limits.maxRequestLineBytes) bytes")
            }
            if bytes.count - start > limits.maxHeaderBytes {
                return .failed(.headerFieldsTooLarge, "the request head is larger than \(limits.maxHeaderBytes) bytes")
            }
            return .incomplete
        }
        if headEnd - start > limits.maxHeaderBytes {
            return .failed(.headerFieldsTooLarge, "the request head is larger than \(limits.maxHeaderBytes) bytes")
        }
        if lines.count - 1 > limits.maxHeaderCount {
            return .failed(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
        }

        let parts = lines[0].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            return .failed(.badRequest, "malformed request line")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.utf8.count == 8, version.hasPrefix("HTTP/"),
            version.utf8.dropFirst(5).enumerated().allSatisfy({ $0.offset == 1 ? $0.element == UInt8(ascii: ".") : isDigit($0.element) })
        else { return .failed(.badRequest, "malformed HTTP version") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .failed(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are served")
        }
        let target = parts[1]
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return .failed(.badRequest, "the request target must be a path starting with /")
        }

        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
                return .failed(.badRequest, "folded header lines are not accepted")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(isTokenByte)
            else { return .failed(.badRequest, "malformed header field") }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { value = value.dropFirst() }
            while let byte = value.last, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { value = value.dropLast() }
            guard value.allSatisfy({ $0 == UInt8(ascii: "\t") || ($0 >= 0x20 && $0 != 0x7F) }) else {
                return .failed(.badRequest, "control characters in a header value")
            }
            headers.append(
                (String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
        }

        if version == "HTTP/1.1" && headers.filter({ $0.name == "host" }).count != 1 {
            return .failed(.badRequest, "an HTTP/1.1 request needs exactly one Host header")
        }
        if headers.contains(where: { $0.name == "transfer-encoding" }) {
            return .failed(.notImplemented, "request bodies with Transfer-Encoding are not accepted")
        }
        var contentLength = 0
        let lengths = Set(headers.filter { $0.name == "content-length" }.map(\.value))
        if let text = lengths.first {
            guard lengths.count == 1, !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(isDigit),
                let length = Int(text)
            else { return .failed(.badRequest, "malformed Content-Length") }
            guard length <= limits.maxBodyBytes else {
                return .failed(.contentTooLarge, "the request body is larger than \(limits.maxBodyBytes) bytes")
            }
            contentLength = length
        }
        guard bytes.count - headEnd >= contentLength else { return .incomplete }
        return .complete(
            HTTPRequest(
                method: method, target: String(decoding: target, as: UTF8.self), version: version, headers: headers,
                body: Array(bytes[headEnd..<(headEnd + contentLength)])))
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
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
