/// What goes wrong in the edge, with the value at fault.
public enum EdgeError: Error, CustomStringConvertible, Equatable {
    /// A backend address that is not a numeric `ip:port`.
    case badBackendAddress(String)
    /// A listening address from the configuration that cannot be bound.
    case badListenAddress(String)
    /// No socket for `name` (`http` or `https`) was handed over and none could be bound.
    case missingListener(String)

    public var description: String {
        switch self {
        case .badBackendAddress(let address): "backend address \"\(address)\" is not a numeric ip:port"
        case .badListenAddress(let address): "cannot listen on \"\(address)\": use host:port, e.g. 0.0.0.0:443"
        case .missingListener(let name): "no \(name) socket: pass one through socket activation (FileDescriptorName=\(name)) or set [edge] \(name)_listen"
        }
    }
}
