import Glibc
import Testing

@testable import Systemd

@Suite("Socket activation variables")
struct SocketActivationTests {
    let ourPID: pid_t = 4242

    @Test func namedSocketsForThisProcess() throws {
        let sockets = try SocketActivation.listeners(
            in: ["LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:admin"],
            processID: ourPID
        )
        #expect(sockets == [ActivatedSocket(fd: 3, name: "http"), ActivatedSocket(fd: 4, name: "admin")])
    }

    @Test func variablesForAnotherProcessAreIgnored() throws {
        let sockets = try SocketActivation.listeners(
            in: ["LISTEN_PID": "4243", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:admin"],
            processID: ourPID
        )
        #expect(sockets.isEmpty)
    }

    @Test func withoutListenPIDNothingIsAdopted() throws {
        #expect(try SocketActivation.listeners(in: ["LISTEN_FDS": "1"], processID: ourPID).isEmpty)
        #expect(try SocketActivation.listeners(in: [:], processID: ourPID).isEmpty)
    }

    @Test func missingNamesAreUnknown() throws {
        let unnamed = try SocketActivation.listeners(in: ["LISTEN_PID": "4242", "LISTEN_FDS": "2"], processID: ourPID)
        #expect(unnamed.map(\.name) == ["unknown", "unknown"])
        #expect(unnamed.map(\.fd) == [3, 4])

        let partly = try SocketActivation.listeners(
            in: ["LISTEN_PID": "4242", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "web::"],
            processID: ourPID
        )
        #expect(partly.map(\.name) == ["web", "unknown", "unknown"])

        let fewer = try SocketActivation.listeners(
            in: ["LISTEN_PID": "4242", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "web"],
            processID: ourPID
        )
        #expect(fewer.map(\.name) == ["web", "unknown", "unknown"])
        #expect(fewer.map(\.fd) == [3, 4, 5])
    }

    @Test func zeroDescriptors() throws {
        #expect(try SocketActivation.listeners(in: ["LISTEN_PID": "4242", "LISTEN_FDS": "0"], processID: ourPID).isEmpty)
    }

    @Test(arguments: ["", "two", "-1", "1.5", " 1", "2147483647"])
    func invalidCountIsATypedError(count: String) {
        #expect(throws: SocketActivationError.invalidDescriptorCount(variable: "LISTEN_FDS", value: count)) {
            try SocketActivation.listeners(in: ["LISTEN_PID": "4242", "LISTEN_FDS": count], processID: ourPID)
        }
    }

    @Test(arguments: ["", "abc", "0", "-5"])
    func invalidPIDIsATypedError(pid: String) {
        #expect(throws: SocketActivationError.invalidProcessID(variable: "LISTEN_PID", value: pid)) {
            try SocketActivation.listeners(in: ["LISTEN_PID": pid, "LISTEN_FDS": "1"], processID: ourPID)
        }
    }

    @Test func moreNamesThanDescriptorsIsATypedError() {
        #expect(throws: SocketActivationError.tooManyNames(variable: "LISTEN_FDNAMES", names: 3, descriptors: 2)) {
            try SocketActivation.listeners(
                in: ["LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a:b:c"],
                processID: ourPID
            )
        }
    }

    @Test func paastechVariablesNeedNoPID() throws {
        let sockets = try SocketActivation.listeners(
            in: ["PAASTECH_LISTEN_FDS": "2", "PAASTECH_LISTEN_FDNAMES": "api:metrics"],
            processID: ourPID
        )
        #expect(sockets == [ActivatedSocket(fd: 3, name: "api"), ActivatedSocket(fd: 4, name: "metrics")])
    }

    @Test func paastechVariablesApplyWhenSystemdsAreForAnotherProcess() throws {
        let sockets = try SocketActivation.listeners(
            in: ["LISTEN_PID": "1", "LISTEN_FDS": "2", "PAASTECH_LISTEN_FDS": "1", "PAASTECH_LISTEN_FDNAMES": "web"],
            processID: ourPID
        )
        #expect(sockets == [ActivatedSocket(fd: 3, name: "web")])
    }

    @Test func systemdVariablesWinForThisProcess() throws {
        let sockets = try SocketActivation.listeners(
            in: [
                "LISTEN_PID": "4242", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "systemd",
                "PAASTECH_LISTEN_FDS": "2", "PAASTECH_LISTEN_FDNAMES": "a:b",
            ],
            processID: ourPID
        )
        #expect(sockets == [ActivatedSocket(fd: 3, name: "systemd")])
    }

    @Test func invalidPaastechCountNamesItsVariable() {
        #expect(throws: SocketActivationError.invalidDescriptorCount(variable: "PAASTECH_LISTEN_FDS", value: "x")) {
            try SocketActivation.listeners(in: ["PAASTECH_LISTEN_FDS": "x"], processID: ourPID)
        }
    }

    @Test func errorsSayWhatToFix() {
        let error = SocketActivationError.tooManyNames(variable: "LISTEN_FDNAMES", names: 3, descriptors: 2)
        #expect(error.description.contains("FileDescriptorName="))
    }

    @Test func childEnvironmentStripsActivationVariables() {
        for name in ["NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC",
            "PAASTECH_LISTEN_FDS", "PAASTECH_LISTEN_FDNAMES"]
        {
            #expect(SystemdEnvironment.variablesToStrip.contains(name))
        }
    }
}
