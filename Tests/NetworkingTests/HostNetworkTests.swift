import Foundation
import Glibc
import Systemd
import Testing

@testable import Networking

/// Real bridges, veth pairs, namespaces and nftables on this host. Serialised: they share the test
/// bridge `pttest0` (10.89.0.0/16) and the table `inet paastechtest`, never the platform's own.
@Suite(.serialized, .enabled(if: getuid() == 0, "creates interfaces and namespaces: run as root"))
struct HostNetworkTests {
    @Test func bridgeEnsureIsIdempotent() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let first = try host.ensureBridge()
        let second = try host.ensureBridge()
        #expect(first == second, "the second ensure keeps the same bridge")
        #expect(first.gatewayAddress.description == "10.89.0.1")

        let links = try #require(try Command.json(["/usr/sbin/ip", "-j", "-d", "addr", "show", "dev", TestHost.bridgeName]) as? [[String: Any]])
        let link = try #require(links.first)
        #expect(link["ifindex"] as? Int == Int(first.index))
        #expect((link["flags"] as? [String])?.contains("UP") == true)
        #expect((link["linkinfo"] as? [String: Any])?["info_kind"] as? String == "bridge")
        let addresses = (link["addr_info"] as? [[String: Any]] ?? []).filter { $0["family"] as? String == "inet" }
        #expect(addresses.count == 1, "ensuring twice does not add the address twice")
        #expect(addresses.first?["local"] as? String == "10.89.0.1")
        #expect(addresses.first?["prefixlen"] as? Int == 16)
        #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8) == "1\n")
    }

    @Test func bridgeEnsureKeepsExistingPorts() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let bridge = try host.ensureBridge()
        let namespace = try host.namespace()
        let network = InstanceNetwork(bridge: bridge, hostSocket: host.socket)
        try network.attach(namespaceFD: namespace.fd, hostInterface: "ptt-keep", address: try IPv4Address(parsing: "10.89.0.9"))
        // A restarted pomegranate ensures the bridge again: the instance stays attached and reachable.
        #expect(try host.ensureBridge() == bridge)
        #expect(try host.masterOf("ptt-keep") == TestHost.bridgeName)
        #expect(try host.ping(from: nil, to: "10.89.0.9"))
    }

    @Test func bridgeEnsureRefusesAnInterfaceThatIsNotABridge() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        host.linksToDelete.append("ptt-notbr")
        try Command.check(["/usr/sbin/ip", "link", "add", "ptt-notbr", "type", "veth", "peer", "name", "ptt-notbr-p"])
        let error = #expect(throws: NetworkConfigurationError.self) {
            try Bridge.ensure(name: "ptt-notbr", subnet: TestHost.subnet, using: host.socket)
        }
        #expect(error?.kind == .notABridge)
        #expect(error?.description.contains("is a veth, not a bridge") == true)
    }
}

/// Everything a host test creates, removed again by ``tearDown()`` even when the test fails.
final class TestHost {
    static let bridgeName = "pttest0"
    static let subnet = IPv4Subnet(parsing: "10.89.0.0/16", orFail: ())
    static let tableName = "paastechtest"

    let socket: NetlinkSocket
    var namespaces: [TestNamespace] = []
    var processes: [ChildProcess] = []
    var linksToDelete: [String] = []
    let directory: TemporaryDirectory

    init() throws {
        socket = try NetlinkSocket()
        directory = try TemporaryDirectory()
        removeLeftovers()
    }

    func ensureBridge() throws -> Bridge {
        try Bridge.ensure(name: Self.bridgeName, subnet: Self.subnet, using: socket)
    }

    func namespace() throws -> TestNamespace {
        let namespace = try TestNamespace()
        namespaces.append(namespace)
        return namespace
    }

    /// The name of the bridge `interface` is a port of, per ip(8).
    func masterOf(_ interface: String) throws -> String? {
        let links = try Command.json(["/usr/sbin/ip", "-j", "link", "show", "dev", interface]) as? [[String: Any]]
        return links?.first?["master"] as? String
    }

    /// Whether `address` answers a ping from `namespace` (nil: from the host).
    func ping(from namespace: TestNamespace?, to address: String) throws -> Bool {
        let argv = [Probe.python, "-c", Probe.ping, address]
        return try (namespace.map { try $0.run(argv) } ?? Command.run(argv)).succeeded
    }

    /// Connects from `namespace` (nil: the host) to `address:port`; returns what the server sent (the
    /// client's address as the server saw it), or nil when the connection failed.
    func connect(from namespace: TestNamespace?, to address: String, port: Int) throws -> String? {
        let argv = [Probe.python, "-c", Probe.connect, address, String(port)]
        let result = try namespace.map { try $0.run(argv) } ?? Command.run(argv)
        return result.succeeded ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Starts a TCP server on `address:port` in `namespace` (nil: the host) and waits until it listens.
    func startServer(in namespace: TestNamespace?, address: String, port: Int) throws {
        let ready = directory.path + "/server-\(port)-\(processes.count).ready"
        let argv = [Probe.python, "-c", Probe.server, address, String(port), ready]
        processes.append(try Command.start(namespace.map { ["/usr/bin/nsenter", "--net=\($0.path)"] + argv } ?? argv))
        try waitForFile(ready)
    }

    func tearDown() {
        for process in processes { Command.stop(process) }
        for namespace in namespaces { namespace.close() }
        removeLeftovers()
        directory.remove()
    }

    /// Deletes what this or an earlier, crashed run may have left: test links, the test bridge and table.
    private func removeLeftovers() {
        for link in linksToDelete + [Self.bridgeName] {
            _ = try? Command.run(["/usr/sbin/ip", "link", "delete", link])
        }
        if let links = try? Command.json(["/usr/sbin/ip", "-j", "link", "show"]) as? [[String: Any]] {
            for name in links.compactMap({ $0["ifname"] as? String }) where name.hasPrefix("ptt-") {
                _ = try? Command.run(["/usr/sbin/ip", "link", "delete", name])
            }
        }
        _ = try? Firewall(tableName: Self.tableName).remove()
    }
}

extension IPv4Subnet {
    /// A subnet literal known to be valid, for test constants.
    init(parsing text: String, orFail: Void) {
        guard let subnet = IPv4Subnet(text) else {
            Issue.record("\(text) is not a subnet")
            self = .platformDefault
            return
        }
        self = subnet
    }
}
