import Glibc
import StorekeeperSystem

/// One response. Every response carries `Content-Length` and
/// `Connection: close`: the server answers one request per connection.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var contentType: String
    public var body: [UInt8]
    /// Extra header fields, e.g. `Allow` on a 405.
    public var headers: [(name: String, value: String)]

    public init(status: HTTPStatus, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static let jsonType = "application/json; charset=utf-8"

    public static func json(_ status: HTTPStatus, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, contentType: jsonType, body: Array((value.serialized() + "\n").utf8))
    }

    /// `{"error": message}` with the status.
    public static func error(_ status: HTTPStatus, _ message: String, headers: [(name: String, value: String)] = [])
        -> HTTPResponse
    {
        var response = json(status, .object([("error", .string(message)), ("status", .int(status.code))]))
        response.headers = headers
        return response
    }

    /// The bytes on the wire; a response to HEAD has the same head and no body.
    public func serialized(includeBody: Bool = true, date: time_t = time(nil)) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        head += "Date: \(Self.httpDate(date))\r\n"
        head += "Server: storekeeper/\(StorekeeperVersion.current)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += "Cache-Control: no-store\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }

    /// IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: time_t) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
