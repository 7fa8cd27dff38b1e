import Glibc
import Logging
import ServiceLifecycle
import Testing

@testable import Systemd

/// A datagram socket standing in for systemd's notification socket.
struct FakeNotifySocket {
    let path: String
    let fd: Int32

    init(in directory: TemporaryDirectory) throws {
        path = "\(directory.path)/notify.sock"
        fd = try checked(socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let fd = self.fd
        try withUnsafeBytes(of: &address) {
            _ = try checked(bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)), "bind")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        try checked(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)), "SO_RCVTIMEO")
    }

    /// The next notification, waiting at most 5 seconds.
    func receive() async throws -> String {
        let fd = self.fd
        return try await onOwnThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw SystemCallError(operation: "recv(notify socket)", errno: errno) }
            return String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }

    func close() { Glibc.close(fd) }
}

/// Tests that change the process environment, which is global: they run one at a time and restore it.
@Suite("Process environment", .serialized, .timeLimit(.minutes(1)))
struct ProcessEnvironmentTests {
    let logger = Logger(label: "test.process-environment")

    /// Sets `variables` for the duration of `body`, then removes them.
    @discardableResult
    func withEnvironment<Result>(_ variables: [String: String], _ body: () async throws -> Result) async rethrows -> Result {
        for (name, value) in variables { setenv(name, value, 1) }
        defer { for name in variables.keys { unsetenv(name) } }
        return try await body()
    }

    @Test func notifierTalksToTheNotifySocket() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = try FakeNotifySocket(in: directory)
        defer { socket.close() }
        let notifier = SystemdNotifier()

        try await withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            #expect(SystemdNotifier.isSupervised)
            try notifier.ready()
            #expect(try await socket.receive() == "READY=1")
            try notifier.status("migrating\nREADY=1")
            #expect(try await socket.receive() == "STATUS=migrating READY=1")
            try notifier.reloading()
            let reloading = try await socket.receive()
            #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
            try notifier.stopping()
            #expect(try await socket.receive() == "STOPPING=1")
            try notifier.watchdog()
            #expect(try await socket.receive() == "WATCHDOG=1")
            // NOTIFY_SOCKET stays set so later notifications still work.
            #expect(getenv("NOTIFY_SOCKET") != nil)
        }
        #expect(!SystemdNotifier.isSupervised)
        try notifier.ready()  // unsupervised: a no-op
    }

    @Test func unreachableNotifySocketIsAnError() async throws {
        await withEnvironment(["NOTIFY_SOCKET": "/nonexistent-dir/notify.sock"]) {
            #expect(throws: SystemCallError.self) { try SystemdNotifier().ready() }
        }
    }

    @Test(.timeLimit(.minutes(1))) func watchdogServiceFeedsTheWatchdogUntilShutdown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = try FakeNotifySocket(in: directory)
        defer { socket.close() }

        try await withEnvironment([
            "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid())",
        ]) {
            let interval = try SystemdNotifier().watchdogInterval
            #expect(interval == .milliseconds(200))
            let group = ServiceGroup(configuration: .init(services: [WatchdogService(logger: logger)], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await socket.receive() == "WATCHDOG=1")
                #expect(try await socket.receive() == "WATCHDOG=1")
                // Shutdown ends the service (were its sleep not cancelled, this would wait for ever).
                await group.triggerGracefulShutdown()
                try await tasks.next()
            }
        }
    }

    @Test func watchdogServiceIsIdleWithoutAWatchdog() async throws {
        let forAnotherProcess = try await withEnvironment(["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"]) {
            try SystemdNotifier().watchdogInterval
        }
        #expect(forAnotherProcess == nil)
        let unset = try SystemdNotifier().watchdogInterval
        #expect(unset == nil)
        // Idle, not finished: a ServiceGroup would treat an early return as a failure. It ends on shutdown.
        let group = ServiceGroup(configuration: .init(services: [WatchdogService(logger: logger)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    @Test func malformedWatchdogIntervalIsAnError() async throws {
        await withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": "\(getpid())"]) {
            #expect(throws: SystemCallError.self) { try SystemdNotifier().watchdogInterval }
        }
    }

    @Test func takeListenersAdoptsAndUnsetsTheVariables() async throws {
        // fd 3 of this test process stands in for a passed socket; its flags are restored afterwards.
        let placeholder = try checked(open("/dev/null", O_RDONLY), "open")
        defer { close(placeholder) }
        var borrowedThree = false
        if fcntl(3, F_GETFD) == -1 {
            try checked(dup2(placeholder, 3), "dup2(3)")
            borrowedThree = true
        }
        let originalFlags = fcntl(3, F_GETFD)
        defer {
            if borrowedThree { close(3) } else { _ = fcntl(3, F_SETFD, originalFlags) }
        }
        _ = fcntl(3, F_SETFD, originalFlags & ~FD_CLOEXEC)

        let sockets = try await withEnvironment([
            "LISTEN_PID": "\(getpid())", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "web",
        ]) {
            try SocketActivation.takeListeners()
        }
        #expect(sockets == [ActivatedSocket(fd: 3, name: "web")])
        #expect(fcntl(3, F_GETFD) & FD_CLOEXEC != 0)
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { #expect(getenv(name) == nil) }
    }

    @Test func takeListenersUnsetsEvenInvalidVariables() async throws {
        await withEnvironment(["PAASTECH_LISTEN_FDS": "many", "PAASTECH_LISTEN_FDNAMES": "web"]) {
            #expect(throws: SocketActivationError.invalidDescriptorCount(variable: "PAASTECH_LISTEN_FDS", value: "many")) {
                try SocketActivation.takeListeners()
            }
            #expect(getenv("PAASTECH_LISTEN_FDS") == nil)
            #expect(getenv("PAASTECH_LISTEN_FDNAMES") == nil)
        }
    }

    @Test func takeListenersWithoutActivationFindsNothing() throws {
        #expect(try SocketActivation.takeListeners().isEmpty)
    }

    @Test func takeListenersReportsDescriptorsThatAreNotOpen() async throws {
        // A high fd number that this process does not use.
        let unused: Int32 = 3 + 900
        #expect(fcntl(unused, F_GETFD) == -1)
        await withEnvironment(["PAASTECH_LISTEN_FDS": "\(unused - 2)"]) {
            let error = #expect(throws: SocketActivationError.self) { try SocketActivation.takeListeners() }
            if case .descriptorNotOpen(let fd, let variable, let errno)? = error {
                #expect(fd >= 3 && variable == "PAASTECH_LISTEN_FDS" && errno == EBADF)
            } else {
                Issue.record("expected descriptorNotOpen, got \(String(describing: error))")
            }
        }
    }
}
