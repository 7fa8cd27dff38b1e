/// Why a sandbox could not be started, adopted or joined (spawning itself fails with ``SpawnError``).
public enum SandboxError: Error, CustomStringConvertible, Sendable {
    case missingInit
    case commandNotFound(String)
    /// ``SandboxRunner/adopt(id:isBuild:pid:address:egress:limits:)`` got an address that is not IPv4.
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .missingInit:
            "paastech-init was not found next to paastech or in /usr/lib/paastech: build it (swift build) or reinstall the package"
        case .commandNotFound(let name):
            "\(name): no such program in the sandbox (give an absolute path, or a name found in /usr/local/bin, /usr/bin or /usr/sbin)"
        case .invalidAddress(let text):
            "cannot adopt a sandbox with address \"\(text)\": not an IPv4 address; check pomegranate's state directory"
        }
    }
}
