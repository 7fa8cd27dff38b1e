import ArgumentParser
import Foundation
import Pipeline
import PlatformConfig

/// `paastech hook pre-receive`: git-receive-pack runs it (the repo manager installs it) with the
/// pushed ref updates on stdin, before the refs move. It runs the deploy pipeline; a non-zero exit
/// rejects the push, so a failed build or health check fails `git push` and the branch keeps
/// pointing at what is deployed.
struct HookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Git hooks of the platform's repositories (run by git).", subcommands: [PreReceive.self])

    struct PreReceive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pre-receive", abstract: "Deploy a push (stdin: <old> <new> <ref> lines).")

        @OptionGroup var config: ConfigurationOptions

        func run() async throws {
            let output = PipelineOutput()
            let configuration = try config.load()
            // git runs hooks of a bare repository in the repository itself: <repos>/<project-uuid>.git
            let repository = FileManager.default.currentDirectoryPath
            let name = (repository as NSString).lastPathComponent
            guard name.hasSuffix(".git"), let projectID = UUID(uuidString: String(name.dropLast(4)))?.uuidString.lowercased() else {
                output.error("\(repository) is not a platform repository")
                throw ExitCode(1)
            }
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let environment = ProcessInfo.processInfo.environment
            let pipeline = DeployPipeline(platform: InternalAPIPipelinePlatform(socketPath: configuration.paths.apiInternalSocket),
                                          settings: PipelineSettings(configuration), output: output)
            do {
                for push in Push.parse(input) {
                    // The pushed objects are still in git's quarantine: the refs move only if this hook succeeds.
                    _ = try await pipeline.run(push, repository: repository, objectDirectories: [environment["GIT_QUARANTINE_PATH"]].compactMap { $0 },
                                               projectID: projectID, pusher: environment["PAASTECH_USER"])
                }
            } catch {
                output.error("\(error)")
                output.error("push rejected: nothing changed on the platform")
                throw ExitCode(1)
            }
        }
    }
}
