/// The nft script ``Firewall/apply(_:)`` runs: one transaction that replaces the platform's table.
///
/// Every value in it comes from a validated type (interface names, addresses, subnets, port numbers,
/// the table name), so nothing in the script needs quoting beyond the interface names' double quotes.
enum FirewallScript {
    /// The set of instance addresses whose forwarded traffic is dropped.
    static let noEgressSet = "noegress"

    static func render(table: String, _ configuration: FirewallConfiguration) -> String {
        let bridge = "\"\(configuration.bridgeName)\""
        let subnet = configuration.subnet
        var inputRules = [
            "iifname != \(bridge) accept",
            "ct state established,related accept",
        ]
        if !configuration.allowedTCPPorts.isEmpty {
            inputRules.append("ip saddr \(subnet) tcp dport \(list(configuration.allowedTCPPorts)) accept")
        }
        if configuration.allowsDNS {
            inputRules.append("ip saddr \(subnet) ip daddr \(subnet.gateway) meta l4proto { tcp, udp } th dport 53 accept")
        }
        inputRules.append("counter drop")

        var forwardRules = [
            // Instance to instance through the host: defence in depth besides the isolated bridge ports.
            "iifname \(bridge) oifname \(bridge) counter drop",
            // Only the subnet's IPv4 leaves the bridge: no spoofed sources, no IPv6.
            "iifname \(bridge) meta nfproto ipv6 counter drop",
            "iifname \(bridge) ip saddr != \(subnet) counter drop",
            "iifname \(bridge) ip saddr @\(noEgressSet) counter drop",
        ]
        if !configuration.blockedDestinations.isEmpty {
            forwardRules.append("iifname \(bridge) ip daddr \(list(configuration.blockedDestinations)) counter drop")
        }
        forwardRules += [
            // Into the bridge only answers: nothing on the network can open connections to instances.
            "oifname \(bridge) ct state established,related accept",
            "oifname \(bridge) counter drop",
        ]

        var set = [
            "type ipv4_addr",
        ]
        if !configuration.noEgressAddresses.isEmpty {
            set.append("elements = \(list(configuration.noEgressAddresses))")
        }

        // `table {}` then `delete table` makes the delete succeed whether or not the table exists, and
        // nft -f applies the whole file as one transaction: the old rules stay until the new ones are in.
        return """
            table inet \(table) {}
            delete table inet \(table)
            table inet \(table) {
            \tset \(noEgressSet) {
            \(block(set))
            \t}

            \t# From instances to the host itself (any of its addresses): only what is allowed.
            \tchain input {
            \t\ttype filter hook input priority filter; policy accept;
            \(block(inputRules))
            \t}

            \tchain forward {
            \t\ttype filter hook forward priority filter; policy accept;
            \(block(forwardRules))
            \t}

            \t# Egress leaves with the host's address.
            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\tip saddr \(subnet) oifname != \(bridge) masquerade
            \t}
            }

            """
    }

    /// The script of ``Firewall/setEgress(address:allowed:)``: adding an element is idempotent; to remove
    /// one that may be absent, add it first in the same transaction.
    static func egress(table: String, address: IPv4Address, allowed: Bool) -> String {
        let element = "element inet \(table) \(noEgressSet) { \(address) }"
        return allowed ? "add \(element)\ndelete \(element)\n" : "add \(element)\n"
    }

    /// The addresses of the `elements = { ... }` line(s) of an `nft list set` answer; empty without one.
    static func setElements(in listing: String) -> [IPv4Address] {
        guard let start = listing.range(of: "elements = {"), let end = listing[start.upperBound...].firstIndex(of: "}") else {
            return []
        }
        return listing[start.upperBound..<end]
            .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" })
            .compactMap { IPv4Address(String($0)) }
    }

    private static func list<Value: CustomStringConvertible>(_ values: [Value]) -> String {
        "{ " + values.map(\.description).joined(separator: ", ") + " }"
    }

    private static func block(_ lines: [String]) -> String {
        lines.map { "\t\t" + $0 }.joined(separator: "\n")
    }
}
