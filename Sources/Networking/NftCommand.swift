import Glibc
import Systemd

/// Runs nft with an argv (never a shell) and a script on its standard input.
///
/// Spawned with Systemd's `ChildProcess` and reaped synchronously: Foundation's `Process.waitUntilExit`
/// polls a run loop and adds up to 50 ms to a command that itself takes 2 ms.
struct NftCommand {
    /// Absolute path of nft; `PATH` is not searched.
    let executable: String

    /// Runs `executable -f -` with `script` on its standard input and waits for it.
    /// - Returns: What nft printed on stdout and stderr.
    /// - Throws: ``FirewallError`` when nft cannot be started or exits with a non-zero status.
    @discardableResult
    func run(script: String, operation: String) throws(FirewallError) -> String {
        let result: (status: Int32?, output: String)
        do throws(SystemCallError) {
            result = try spawnAndWait(arguments: ["-f", "-"], input: Array(script.utf8))
        } catch {
            throw FirewallError(operation: operation, exitStatus: nil, systemCallError: error)
        }
        guard result.status == 0 else {
            throw FirewallError(operation: operation, exitStatus: result.status, output: result.output)
        }
        return result.output
    }

    private func spawnAndWait(arguments: [String], input: [UInt8]) throws(SystemCallError) -> (status: Int32?, output: String) {
        // Socket pairs rather than pipes: created close-on-exec atomically (Swift's Glibc has no pipe2), so
        // a process spawned by another thread meanwhile cannot inherit an end and hold the output open; and
        // writing to an nft that has already died fails with EPIPE (MSG_NOSIGNAL) instead of SIGPIPE.
        var inputPair = try Self.socketPair("nft's standard input")
        defer { inputPair.forEach { if $0 >= 0 { SystemCall.closeQuietly($0) } } }
        var outputPair = try Self.socketPair("nft's output")
        defer { outputPair.forEach { if $0 >= 0 { SystemCall.closeQuietly($0) } } }

        let child = try spawn(arguments: arguments, standardInput: inputPair[1], output: outputPair[1])
        // Only the child holds these ends now, so end of file arrives when it exits.
        SystemCall.closeQuietly(inputPair[1])
        inputPair[1] = -1
        SystemCall.closeQuietly(outputPair[1])
        outputPair[1] = -1

        var writeError: SystemCallError?
        do throws(SystemCallError) {
            try sendAll(input, to: inputPair[0])
            try SystemCall.retryingInterrupts("shutdown(nft's standard input)") { shutdown(inputPair[0], Int32(SHUT_WR)) }
        } catch {
            writeError = error  // nft died early; its exit status and output say why
        }
        let output = readAll(outputPair[0])
        let status: Int32?
        switch child.waitForExitBlocking() {
        case .exited(let code): status = code
        case .signaled: status = nil
        case .statusUnavailable(let error): throw error
        }
        if status == 0, let writeError { throw writeError }
        return (status, output)
    }

    /// nft with a fixed, minimal environment: it needs none, and pomegranate's must not leak into it.
    private func spawn(arguments: [String], standardInput: Int32, output: Int32) throws(SystemCallError) -> ChildProcess {
        do {
            return try ChildProcess.spawn(executable: executable, arguments: arguments,
                                          environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"],
                                          passingFDs: [], output: output, input: standardInput)
        } catch let error as SystemCallError where error.errno == ENOENT {
            throw SystemCallError(operation: error.operation, errno: ENOENT, hint: "install nftables (apt install nftables)")
        } catch let error as SystemCallError {
            throw error
        } catch {
            throw SystemCallError(operation: "posix_spawn(\(executable))", errno: EIO, hint: "\(error)")
        }
    }

    /// A connected, close-on-exec AF_UNIX stream socket pair.
    private static func socketPair(_ purpose: String) throws(SystemCallError) -> [Int32] {
        var pair: [Int32] = [-1, -1]
        try SystemCall.retryingInterrupts("socketpair(AF_UNIX) for \(purpose)") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        }
        return pair
    }

    private func sendAll(_ bytes: [UInt8], to fd: Int32) throws(SystemCallError) {
        var sent = 0
        while sent < bytes.count {
            // safe: the buffer is not empty while sent < count, so it has a base address.
            sent += try SystemCall.retryingInterrupts("send(nft's standard input)") {
                bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    /// Reads until end of file; a read error ends the output early (the exit status still tells).
    private func readAll(_ fd: Int32) -> String {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                output += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                return String(decoding: output, as: UTF8.self)
            }
        }
    }
}
