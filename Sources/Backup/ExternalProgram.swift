import Foundation
import Systemd

/// Runs the external programs a backup needs (pg_dump, pg_restore, psql, tar, systemctl) with an argv array
/// and a fixed environment, through ``ProgramRun``; a failure becomes a ``BackupError`` naming the step.
struct ExternalProgram: Sendable {
    /// Absolute path; `PATH` is not searched.
    var executable: String
    var arguments: [String]
    /// Exit statuses that mean success (tar's 1 is "some files changed while being read").
    var acceptedStatuses: Set<Int32> = [0]
    var input: [UInt8] = []
    var inputDescriptor: Int32?
    var outputDescriptor: Int32?
    /// The working directory; nil keeps ours.
    var directory: String?

    init(_ executable: String, _ arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// A minimal environment: nothing of ours (or of systemd's) leaks into the programs.
    static let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"]

    /// Runs it to the end.
    /// - Parameter operation: What the run is for, for the error: "dump the database".
    /// - Returns: What it printed.
    @discardableResult
    func run(_ operation: String) async throws(BackupError) -> ProgramRun.Result {
        let result: ProgramRun.Result
        do {
            result = try await ProgramRun(executable, arguments, environment: Self.environment, directory: directory, input: input,
                                          inputDescriptor: inputDescriptor, outputDescriptor: outputDescriptor).run()
        } catch {
            throw .programFailed(operation, program: executable, termination: "could not be started", output: "\(error)")
        }
        guard let status = result.exitCode, acceptedStatuses.contains(status) else {
            let output = (result.stderrText + (outputDescriptor == nil ? result.stdoutText : ""))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw .programFailed(operation, program: (executable as NSString).lastPathComponent,
                                 termination: "\(result.termination)", output: output)
        }
        return result
    }
}
