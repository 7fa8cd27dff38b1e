/// What the platform's nftables table allows. See ``Firewall``.
public struct FirewallConfiguration: Sendable, Equatable {
    /// The bridge instances hang off (`paastech0`).
    public var bridgeName: String
    /// The platform subnet.
    public var subnet: IPv4Subnet
    /// TCP ports on the host that instances may connect to (on any host address). Default none: instances
    /// reach nothing on the host, not PostgreSQL, the API or pomegranate.
    public var allowedTCPPorts: [UInt16]
    /// Whether instances may send DNS (UDP and TCP 53) to the bridge address, for a resolver listening there.
    public var allowsDNS: Bool
    /// Destinations instances may not reach even with egress. Default `169.254.0.0/16`: link-local,
    /// which holds cloud metadata services (and their credentials). Add the LAN's private ranges to keep
    /// instances out of it.
    public var blockedDestinations: [IPv4Subnet]
    /// Instances whose deployment has egress disabled, at the time of applying. ``Firewall/apply(_:)``
    /// recreates the table, so pass the current list (live restore); change it later with
    /// ``Firewall/setEgress(address:allowed:)``.
    public var noEgressAddresses: [IPv4Address]

    public init(
        bridgeName: String = Bridge.defaultName,
        subnet: IPv4Subnet = .platformDefault,
        allowedTCPPorts: [UInt16] = [],
        allowsDNS: Bool = false,
        blockedDestinations: [IPv4Subnet] = [.linkLocal],
        noEgressAddresses: [IPv4Address] = []
    ) {
        self.bridgeName = bridgeName
        self.subnet = subnet
        self.allowedTCPPorts = allowedTCPPorts
        self.allowsDNS = allowsDNS
        self.blockedDestinations = blockedDestinations
        self.noEgressAddresses = noEgressAddresses
    }
}
