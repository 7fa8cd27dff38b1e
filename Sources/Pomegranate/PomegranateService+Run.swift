import Foundation
import GRPCCore
import PomegranateRPC

extension PomegranateService {
    /// `paastech run`: the first message names the instance and command, later ones carry stdin;
    /// the replies carry stdout and stderr, then the exit status.
    public func run(request: RPCAsyncSequence<Paastech_Pomegranate_V1_RunInput, any Error>,
                    response: RPCWriter<Paastech_Pomegranate_V1_RunOutput>, context: ServerContext) async throws {
        // Read here for `start`, then only by the stdin task below: never from two tasks at once.
        nonisolated(unsafe) var inputs = request.makeAsyncIterator()
        guard case .start(let start)? = try await inputs.next()?.input else {
            throw RPCError(code: .invalidArgument, message: "the first message of Run must be `start`")
        }
        let (deploymentID, command, environment) = try Self.mapped {
            (try RequestValidation.uuid("deployment_id", start.deploymentID), try RequestValidation.command("command", start.command),
             try RequestValidation.environment("environment", start.environment))
        }
        let session: Session
        do {
            session = try await supervisor.session(deploymentID: deploymentID, instanceID: start.instanceID.isEmpty ? nil : start.instanceID,
                                                   command: command, environment: environment)
        } catch let error as PomegranateError {
            throw RPCError(code: error.statusCode, message: error.description)
        } catch {
            throw RPCError(code: .failedPrecondition, message: "the session could not start: \(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // stdin until the client closes it or goes away.
                while let input = try await inputs.next() {
                    switch input.input {
                    case .stdin(let bytes)?: try await session.write(Array(bytes))
                    case .closeStdin?: await session.closeInput(); return
                    default: throw RPCError(code: .invalidArgument, message: "only stdin and close_stdin may follow start")
                    }
                }
                await session.closeInput()
            }
            for await output in session.output {
                var message = Paastech_Pomegranate_V1_RunOutput()
                switch output {
                case .stdout(let bytes): message.stdout = Data(bytes)
                case .stderr(let bytes): message.stderr = Data(bytes)
                case .exit(let status): message.exitStatus = status ?? -1
                }
                try await response.write(message)
            }
            group.cancelAll()
        }
    }
}
