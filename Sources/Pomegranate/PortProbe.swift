import NIOCore
import NIOPosix

/// Waits for an app to accept TCP connections on its port.
enum PortProbe {
    /// Tries to connect until it works (true) or `stillWanted` says to stop (false). Attempts are 2 ms
    /// apart at first and at most 50 ms apart later (2 ms plus a twentieth of the time waited so far), so a
    /// fast app is routed within milliseconds of listening and a slow one costs a few attempts a second.
    static func waitUntilAccepting(host: String, port: Int, on eventLoops: any EventLoopGroup,
                                   stillWanted: @Sendable () async -> Bool) async -> Bool {
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return false }
        let started = ContinuousClock.now
        while await stillWanted() {
            if await accepts(address, on: eventLoops) { return true }
            let waited = ContinuousClock.now - started
            try? await Task.sleep(for: min(.milliseconds(2) + waited / 20, .milliseconds(50)))
        }
        return false
    }

    static func accepts(_ address: SocketAddress, on eventLoops: any EventLoopGroup) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: eventLoops)
                .connectTimeout(.seconds(1))
                .connect(to: address).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
