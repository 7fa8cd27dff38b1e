import Foundation
import Glibc
import Testing

@testable import Networking

extension HostNetworkTests {
    /// Ports of this test, unlikely to be in use on the bridge address or in fresh namespaces.
    private static let allowedPort = 47_801
    private static let blockedPort = 47_802
    private static let outsidePort = 47_803
    private static let instancePort = 47_804

    @Test func firewallTableHasMasqueradeAndDropRules() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let firewall = try Firewall(tableName: TestHost.tableName)
        try firewall.apply(host.firewallConfiguration(allowedTCPPorts: [Self.allowedPort]))
        // Applying again replaces the table (no duplicate rules, no error).
        try firewall.apply(host.firewallConfiguration(allowedTCPPorts: [Self.allowedPort]))

        let listing = try #require(try Command.json(["/usr/sbin/nft", "-j", "list", "table", "inet", TestHost.tableName]) as? [String: Any])
        let objects = try #require(listing["nftables"] as? [[String: Any]])
        let allRules = objects.compactMap { $0["rule"] as? [String: Any] }
        func rules(in chain: String) -> [String] {
            allRules.filter { $0["chain"] as? String == chain }.map { rule in
                String(decoding: (try? JSONSerialization.data(withJSONObject: rule["expr"] ?? [], options: .sortedKeys)) ?? Data(), as: UTF8.self)
            }
        }
        let postrouting = rules(in: "postrouting")
        #expect(postrouting.count == 1)
        #expect(postrouting.first?.contains("\"masquerade\"") == true)
        #expect(postrouting.first?.contains("10.89.0.0") == true)
        let input = rules(in: "input")
        #expect(input.last?.contains("\"drop\"") == true, "input ends with a drop")
        #expect(input.contains { $0.contains("\(Self.allowedPort)") && $0.contains("\"accept\"") })
        let forward = rules(in: "forward")
        #expect(forward.contains { $0.contains("@noegress") && $0.contains("\"drop\"") })
        #expect(forward.filter { $0.contains("\"drop\"") }.count >= 5)
        let sets = objects.compactMap { $0["set"] as? [String: Any] }
        #expect(sets.map { $0["name"] as? String } == ["noegress"])
        let chains = objects.compactMap { $0["chain"] as? [String: Any] }
        #expect(Set(chains.compactMap { $0["name"] as? String }) == ["input", "forward", "postrouting"])
    }

    @Test func instancesReachOnlyAllowedHostPorts() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let bridge = try host.ensureBridge()
        let network = InstanceNetwork(bridge: bridge, hostSocket: host.socket)
        let instance = try host.namespace()
        try network.attach(namespaceFD: instance.fd, hostInterface: "ptt-fw", address: try IPv4Address(parsing: "10.89.0.20"))
        try host.startServer(in: nil, address: "10.89.0.1", port: Self.allowedPort)
        try host.startServer(in: nil, address: "10.89.0.1", port: Self.blockedPort)
        try host.startServer(in: instance, address: "0.0.0.0", port: Self.instancePort)

        // Without the table both ports answer: the test can tell the difference.
        #expect(try host.connect(from: instance, to: "10.89.0.1", port: Self.blockedPort) == "10.89.0.20")

        try Firewall(tableName: TestHost.tableName).apply(host.firewallConfiguration(allowedTCPPorts: [Self.allowedPort]))
        #expect(try host.connect(from: instance, to: "10.89.0.1", port: Self.allowedPort) == "10.89.0.20", "an allowed port works")
        #expect(try host.connect(from: instance, to: "10.89.0.1", port: Self.blockedPort) == nil, "any other host port does not")
        #expect(try !host.ping(from: instance, to: "10.89.0.1"), "nor does anything else to the host")
        // The host (the edge proxy) still reaches the instance: answers come back as established traffic.
        #expect(try host.connect(from: nil, to: "10.89.0.20", port: Self.instancePort) == "10.89.0.1")
    }

    @Test func egressIsMasqueradedAndCanBeStoppedPerInstance() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let bridge = try host.ensureBridge()
        let network = InstanceNetwork(bridge: bridge, hostSocket: host.socket)
        let a = try host.namespace()
        let b = try host.namespace()
        let addressA = try IPv4Address(parsing: "10.89.0.30")
        try network.attach(namespaceFD: a.fd, hostInterface: "ptt-ea", address: addressA)
        try network.attach(namespaceFD: b.fd, hostInterface: "ptt-eb", address: try IPv4Address(parsing: "10.89.0.31"))
        // "The outside world": a namespace of ours behind another host interface, 198.18.47.0/24.
        let outside = try host.namespace()
        host.linksToDelete.append("ptt-out")
        try Command.check(["/usr/sbin/ip", "link", "add", "ptt-out", "type", "veth", "peer", "name", "eth0", "netns", String(outside.pid)])
        try Command.check(["/usr/sbin/ip", "addr", "add", "198.18.47.1/24", "dev", "ptt-out"])
        try Command.check(["/usr/sbin/ip", "link", "set", "ptt-out", "up"])
        for argv in [["addr", "add", "198.18.47.2/24", "dev", "eth0"], ["link", "set", "eth0", "up"], ["link", "set", "lo", "up"],
                     ["route", "add", "10.89.0.0/16", "via", "198.18.47.1"]] {
            let result = try outside.run(["/usr/sbin/ip"] + argv)
            try #require(result.succeeded, "ip \(argv.joined(separator: " ")) in the outside namespace: \(result.output)")
        }
        try host.startServer(in: outside, address: "0.0.0.0", port: Self.outsidePort)
        try host.startServer(in: a, address: "0.0.0.0", port: Self.instancePort)

        // Without the table: routed, not masqueraded (the outside sees the instance's own address).
        #expect(try host.connect(from: a, to: "198.18.47.2", port: Self.outsidePort) == "10.89.0.30")

        let firewall = try Firewall(tableName: TestHost.tableName)
        try firewall.apply(host.firewallConfiguration(allowedTCPPorts: []))
        #expect(try host.connect(from: a, to: "198.18.47.2", port: Self.outsidePort) == "198.18.47.1", "egress leaves with the host's address")
        #expect(try host.connect(from: outside, to: "10.89.0.30", port: Self.instancePort) == nil, "nothing outside opens connections to instances")

        try firewall.setEgress(address: addressA, allowed: false)
        try firewall.setEgress(address: addressA, allowed: false)  // idempotent
        #expect(try host.connect(from: a, to: "198.18.47.2", port: Self.outsidePort) == nil, "A has no egress")
        #expect(try host.connect(from: b, to: "198.18.47.2", port: Self.outsidePort) == "198.18.47.1", "B still has")
        #expect(try host.connect(from: nil, to: "10.89.0.30", port: Self.instancePort) == "10.89.0.1", "the host still reaches A")

        try firewall.setEgress(address: addressA, allowed: true)
        try firewall.setEgress(address: addressA, allowed: true)  // idempotent
        #expect(try host.connect(from: a, to: "198.18.47.2", port: Self.outsidePort) == "198.18.47.1", "A has egress again")

        // Re-applying with the current list keeps A without egress (live restore).
        try firewall.apply(host.firewallConfiguration(allowedTCPPorts: [], noEgressAddresses: [addressA]))
        #expect(try host.connect(from: a, to: "198.18.47.2", port: Self.outsidePort) == nil)
    }

    @Test func nftFailuresAreReportedWithItsMessage() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        // No table yet: adding an element fails, and says why.
        let error = #expect(throws: FirewallError.self) {
            try Firewall(tableName: TestHost.tableName).setEgress(address: try IPv4Address(parsing: "10.89.0.2"), allowed: false)
        }
        #expect(error?.exitStatus == 1)
        #expect(error?.description.contains("No such file or directory") == true)
        #expect(error?.description.contains("apply the firewall first") == true)

        let missing = #expect(throws: FirewallError.self) {
            try Firewall(tableName: TestHost.tableName, nftPath: "/nonexistent/nft").remove()
        }
        #expect(missing?.systemCallError?.errno == ENOENT)
    }
}

extension TestHost {
    func firewallConfiguration(allowedTCPPorts: [Int], noEgressAddresses: [IPv4Address] = []) -> FirewallConfiguration {
        FirewallConfiguration(
            bridgeName: Self.bridgeName,
            subnet: Self.subnet,
            allowedTCPPorts: allowedTCPPorts.map { UInt16($0) },
            noEgressAddresses: noEgressAddresses
        )
    }
}
