import Foundation
import Testing

@testable import Networking

extension HostNetworkTests {
    /// 50 attach + detach cycles into five namespaces reusing one interface name: every cycle must leave
    /// nothing behind for the next. The timings are printed for information; the speed target lives in
    /// `make bench` (a timed assertion here would only measure how loaded the test machine is).
    @Test func attachTiming() throws {
        let host = try TestHost()
        defer { host.tearDown() }
        let network = InstanceNetwork(bridge: try host.ensureBridge(), hostSocket: host.socket)
        let namespaces = try (0..<5).map { _ in try host.namespace() }
        let address = try IPv4Address(parsing: "10.89.1.1")
        var attaches: [Duration] = []
        var detaches: [Duration] = []
        let clock = ContinuousClock()
        for cycle in 0..<50 {
            let namespace = namespaces[cycle % namespaces.count]
            attaches.append(try clock.measure {
                try network.attach(namespaceFD: namespace.fd, hostInterface: "ptt-time", address: address)
            })
            detaches.append(try clock.measure { try network.detach(hostInterface: "ptt-time") })
        }
        attaches.sort()
        detaches.sort()
        func milliseconds(_ duration: Duration) -> String {
            String(format: "%.3f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1e3)
        }
        print("InstanceNetwork timing over 50 cycles: attach median \(milliseconds(attaches[25])), p90 \(milliseconds(attaches[45])), max \(milliseconds(attaches[49])); detach median \(milliseconds(detaches[25])), p90 \(milliseconds(detaches[45]))")
    }
}
