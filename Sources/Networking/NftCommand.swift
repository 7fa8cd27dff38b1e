import Glibc
import Systemd

/// Runs nft with an argv (never a shell) and a script on its standard input.
///
/// Run with Systemd's `ProgramRun` and waited for synchronously: Foundation's `Process.waitUntilExit`
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
        // nft with a fixed, minimal environment: it needs none, and pomegranate's must not leak into it.
        let run = ProgramRun(executable, arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"], input: input)
        let result: ProgramRun.Result
        do throws(SystemCallError) {
            result = try run.runBlocking()
        } catch where error.errno == ENOENT {
            throw SystemCallError(operation: error.operation, errno: ENOENT, hint: "install nftables (apt install nftables)")
        }
        if case .statusUnavailable(let error) = result.termination { throw error }
        return (result.exitCode, result.stdoutText + result.stderrText)
    }
}
