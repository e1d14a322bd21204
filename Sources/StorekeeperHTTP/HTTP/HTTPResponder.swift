/// Answers one request later, from any thread.
public struct HTTPResponder: Sendable {
    let server: HTTPServer
    let ticket: UInt64

    public func send(_ response: HTTPResponse) { server.answer(ticket, response) }
}
