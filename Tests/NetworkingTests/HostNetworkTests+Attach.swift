import Foundation
import Glibc
import Systemd
import Testing

@testable import Networking

extension HostNetworkTests {
    @Test func attachedNamespacesHaveAddressRouteAndIsolation() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let bridge = try host.ensureBridge()
        let network = InstanceNetwork(bridge: bridge, hostSocket: host.socket)
        let a = try host.namespace()
        let b = try host.namespace()
        try network.attach(namespaceFD: a.fd, hostInterface: "ptt-a", address: try IPv4Address(parsing: "10.89.0.2"))
        try network.attach(namespacePID: b.pid, hostInterface: "ptt-b", address: try IPv4Address(parsing: "10.89.3.4"))

        for (namespace, address) in [(a, "10.89.0.2"), (b, "10.89.3.4")] {
            let addresses = try #require(try JSONSerialization.jsonObject(with: Data(try namespace.run(["/usr/sbin/ip", "-j", "addr", "show"]).output.utf8)) as? [[String: Any]])
            let eth0 = try #require(addresses.first { $0["ifname"] as? String == "eth0" })
            #expect((eth0["flags"] as? [String])?.contains("UP") == true)
            let inet = (eth0["addr_info"] as? [[String: Any]] ?? []).filter { $0["family"] as? String == "inet" }
            #expect(inet.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" } == ["\(address)/16"])
            let lo = try #require(addresses.first { $0["ifname"] as? String == "lo" })
            #expect((lo["flags"] as? [String])?.contains("UP") == true)

            let routes = try #require(try JSONSerialization.jsonObject(with: Data(try namespace.run(["/usr/sbin/ip", "-j", "route"]).output.utf8)) as? [[String: Any]])
            let defaultRoute = try #require(routes.first { $0["dst"] as? String == "default" })
            #expect(defaultRoute["gateway"] as? String == "10.89.0.1")
            #expect(defaultRoute["dev"] as? String == "eth0")
        }

        // Host ends: ports of the bridge, isolated, up.
        for name in ["ptt-a", "ptt-b"] {
            let links = try #require(try Command.json(["/usr/sbin/ip", "-j", "-d", "link", "show", "dev", name]) as? [[String: Any]])
            let link = try #require(links.first)
            #expect(link["master"] as? String == TestHost.bridgeName)
            #expect((link["flags"] as? [String])?.contains("UP") == true)
            let slave = (link["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any]
            #expect(slave?["isolated"] as? Bool == true, "\(name) is an isolated bridge port")
        }

        #expect(try host.ping(from: nil, to: "10.89.0.2"), "the host reaches A")
        #expect(try host.ping(from: nil, to: "10.89.3.4"), "the host reaches B")
        #expect(try host.ping(from: a, to: "10.89.0.1"), "A reaches the gateway")
        #expect(try host.ping(from: b, to: "10.89.0.1"), "B reaches the gateway")
        #expect(try !host.ping(from: a, to: "10.89.3.4"), "A cannot reach B: isolated ports")
        #expect(try !host.ping(from: b, to: "10.89.0.2"), "B cannot reach A: isolated ports")

        try network.detach(hostInterface: "ptt-a")
        #expect(!(try Command.run(["/usr/sbin/ip", "link", "show", "dev", "ptt-a"]).succeeded), "detach deletes the host end")
        #expect(!(try a.run(["/usr/sbin/ip", "link", "show", "dev", "eth0"]).succeeded), "and the namespace end")
        try network.detach(hostInterface: "ptt-a")  // already gone: fine
        #expect(try host.ping(from: nil, to: "10.89.3.4"), "B is unaffected")
    }

    @Test func theNamespaceDyingRemovesThePair() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let network = InstanceNetwork(bridge: try host.ensureBridge(), hostSocket: host.socket)
        let namespace = try host.namespace()
        try network.attach(namespaceFD: namespace.fd, hostInterface: "ptt-dies", address: try IPv4Address(parsing: "10.89.0.5"))
        namespace.close()
        // The kernel destroys the namespace (and the pair with it) asynchronously.
        var gone = false
        for _ in 0..<200 where !gone {
            usleep(10_000)
            gone = !(try Command.run(["/usr/sbin/ip", "link", "show", "dev", "ptt-dies"]).succeeded)
        }
        #expect(gone)
        try network.detach(hostInterface: "ptt-dies")
    }

    @Test func failedAttachLeavesNothingBehindAndKeepsOthers() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let network = InstanceNetwork(bridge: try host.ensureBridge(), hostSocket: host.socket)
        let namespace = try host.namespace()
        try network.attach(namespaceFD: namespace.fd, hostInterface: "ptt-first", address: try IPv4Address(parsing: "10.89.0.2"))

        // The same host name again: refused, and the existing instance keeps its pair.
        let other = try host.namespace()
        let duplicate = #expect(throws: NetlinkError.self) {
            try network.attach(namespaceFD: other.fd, hostInterface: "ptt-first", address: try IPv4Address(parsing: "10.89.0.3"))
        }
        #expect(duplicate?.errno == EEXIST)
        #expect(duplicate?.description.contains("ptt-first") == true)
        #expect(try host.ping(from: nil, to: "10.89.0.2"))

        // The namespace already has eth0: refused before anything is left on the host.
        let again = #expect(throws: NetlinkError.self) {
            try network.attach(namespaceFD: namespace.fd, hostInterface: "ptt-second", address: try IPv4Address(parsing: "10.89.0.4"))
        }
        #expect(again?.errno == EEXIST)
        #expect(!(try Command.run(["/usr/sbin/ip", "link", "show", "dev", "ptt-second"]).succeeded))

        // Not a namespace descriptor.
        let notNamespace = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(notNamespace) }
        #expect(throws: NetlinkError.self) {
            try network.attach(namespaceFD: notNamespace, hostInterface: "ptt-third", address: try IPv4Address(parsing: "10.89.0.6"))
        }
        #expect(!(try Command.run(["/usr/sbin/ip", "link", "show", "dev", "ptt-third"]).succeeded))

        // Addresses outside the instance range and bad names are refused before the kernel sees them.
        for address in ["10.89.0.1", "10.89.0.0", "10.89.255.255", "10.90.0.2"] {
            let error = #expect(throws: NetworkConfigurationError.self) {
                try network.attach(namespaceFD: other.fd, hostInterface: "ptt-fourth", address: try IPv4Address(parsing: address))
            }
            #expect(error?.kind == .addressNotForInstances)
        }
        #expect(throws: NetworkConfigurationError.self) {
            try network.attach(namespaceFD: other.fd, hostInterface: "ptt-name-too-long", address: try IPv4Address(parsing: "10.89.0.7"))
        }
        #expect(throws: NetlinkError.self) { try network.detach(hostInterface: TestHost.bridgeName) }
    }

    @Test func socketInsideANamespaceSeesOnlyThatNamespace() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        _ = try host.ensureBridge()
        let namespace = try host.namespace()
        let inside = try NetlinkSocket.inNamespace(fd: namespace.fd)
        #expect(try Bridge.existingLink(named: TestHost.bridgeName, using: host.socket) != nil)
        #expect(try Bridge.existingLink(named: TestHost.bridgeName, using: inside) == nil, "the bridge is not in the namespace")
        #expect(try Bridge.existingLink(named: "lo", using: inside)?.index == 1)
        // Still in the namespace when used from another thread, after the creating thread has exited.
        let socket = host.socket
        let seen = try NetworkNamespace.run(in: namespace.fd) { () throws(SystemCallError) -> Bool in
            (try? Bridge.existingLink(named: TestHost.bridgeName, using: socket)) != nil
        }
        #expect(seen, "a socket keeps the namespace it was created in")
    }
}

