import Logging

/// The platform's nftables table (`table inet paastech`): masquerade for instances' egress, nothing from
/// instances to the host's own addresses except allowed ports, nothing between instances, and a set of
/// instances without egress.
///
/// Runs `/usr/sbin/nft -f -` with the script on standard input (an argv, no shell). ``apply(_:)`` runs it
/// once at start-up; ``setEgress(address:allowed:)`` runs it once per instance of a deployment with egress
/// disabled, which is a process start (about 2 ms) on that instance's start path; instances with egress
/// (the default, and every build) cost nothing here.
///
/// Rules of other tables still apply: a `drop` in another table's forward chain (Docker's, a host
/// firewall's) also drops instances' egress.
public struct Firewall: Sendable {
    /// The default table name.
    public static let defaultTableName = "paastech"

    /// The table's name in the `inet` family.
    public let tableName: String
    /// Absolute path of nft.
    public let nftPath: String
    private let logger: Logger

    /// - Parameters:
    ///   - tableName: The table to own: lower-case letters, digits and `_`, starting with a letter.
    ///   - nftPath: Absolute path of nft.
    /// - Throws: ``NetworkConfigurationError`` for a table name nft would not accept.
    public init(
        tableName: String = defaultTableName,
        nftPath: String = "/usr/sbin/nft",
        logger: Logger = Logger(label: "paastech.networking")
    ) throws(NetworkConfigurationError) {
        let lowercase = UInt8(ascii: "a")...UInt8(ascii: "z")
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        let valid = tableName.utf8.first.map(lowercase.contains) == true && tableName.utf8.count <= 32
            && tableName.utf8.allSatisfy { lowercase.contains($0) || digits.contains($0) || $0 == UInt8(ascii: "_") }
        guard valid else {
            throw NetworkConfigurationError(
                .invalidTableName,
                "nftables table name \"\(tableName)\" is not usable; use up to 32 of a-z 0-9 _, starting with a letter"
            )
        }
        self.tableName = tableName
        self.nftPath = nftPath
        self.logger = logger
    }

    /// Replaces the table with one built from `configuration`, atomically: one nft transaction that
    /// deletes the old table (if any) and creates the new one, so there is no moment without rules.
    /// - Throws: ``NetworkConfigurationError`` for a bad bridge name, ``FirewallError`` when nft fails.
    public func apply(_ configuration: FirewallConfiguration) throws {
        try InterfaceName.validate(configuration.bridgeName, role: "bridge")
        try NftCommand(executable: nftPath).run(
            script: FirewallScript.render(table: tableName, configuration),
            operation: "apply table inet \(tableName)"
        )
        logger.info("firewall applied", metadata: [
            "table": "inet \(tableName)", "subnet": "\(configuration.subnet)",
            "allowedTCPPorts": "\(configuration.allowedTCPPorts)", "noEgress": "\(configuration.noEgressAddresses.count)",
        ])
    }

    /// Allows or stops forwarded traffic from one instance (its deployment's egress setting): removes the
    /// address from, or adds it to, the table's `noegress` set. Idempotent. The instance can still reach
    /// the host's allowed ports and answer connections from the host (the edge).
    ///
    /// Allow egress again when an instance without egress stops, before ``AddressAllocator`` hands its
    /// address to another instance. Adding takes about 3 ms (nft starting); removing about 20 ms, as the
    /// kernel waits for an RCU grace period before it commits.
    /// - Throws: ``FirewallError`` when nft fails (for example before ``apply(_:)``).
    public func setEgress(address: IPv4Address, allowed: Bool) throws(FirewallError) {
        try NftCommand(executable: nftPath).run(
            script: FirewallScript.egress(table: tableName, address: address, allowed: allowed),
            operation: "\(allowed ? "allow" : "stop") egress of \(address) (set inet \(tableName) \(FirewallScript.noEgressSet))"
        )
    }

    /// The addresses in the table's `noegress` set now: what a restarted pomegranate passes back into
    /// ``FirewallConfiguration/noEgressAddresses`` so that ``apply(_:)`` does not lift the blocks of
    /// instances that outlived it. Empty when the table does not exist yet.
    /// - Throws: ``FirewallError`` when nft fails for another reason.
    public func noEgressAddresses() throws(FirewallError) -> [IPv4Address] {
        let command = NftCommand(executable: nftPath)
        let listing: String
        do throws(FirewallError) {
            listing = try command.run(script: "list set inet \(tableName) \(FirewallScript.noEgressSet)\n",
                                      operation: "list set inet \(tableName) \(FirewallScript.noEgressSet)")
        } catch where error.output.contains("No such file or directory") {
            return []  // no table (or set) yet: a first start
        }
        return FirewallScript.setElements(in: listing)
    }

    /// Deletes the table, if it exists: no masquerade, no filtering of instances any more.
    public func remove() throws(FirewallError) {
        try NftCommand(executable: nftPath).run(
            script: "table inet \(tableName) {}\ndelete table inet \(tableName)\n",
            operation: "delete table inet \(tableName)"
        )
    }
}
