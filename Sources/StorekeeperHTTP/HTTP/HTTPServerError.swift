import StorekeeperConfig

/// The listener could not be set up (a port in use, an address not here).
public struct HTTPServerError: Error, CustomStringConvertible {
    public let address: ListenAddress
    public let reason: String

    public var description: String {
        "cannot listen on \(address) (monitoring.metrics_listen): \(reason)"
    }
}
