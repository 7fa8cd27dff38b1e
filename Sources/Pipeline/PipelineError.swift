/// Why a push did not deploy; the description is what the pusher reads.
public enum PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// paastech.toml or a Procfile is wrong: file, and what to fix.
    case manifest(file: String, problem: String)
    /// Nothing in the tree says how to build or run it.
    case undetectable(path: String)
    case buildFailed(deployment: String, detail: String)
    case healthCheckFailed(deployment: String, detail: String)
    case deployFailed(deployment: String, detail: String)
    /// A platform service did not answer as expected.
    case platform(String)
    /// A rollback or a configuration change needs a build that was pruned (or never finished).
    case buildMissing(deployment: String, release: String)

    public var description: String {
        switch self {
        case .manifest(let file, let problem): "\(file): \(problem)"
        case .undetectable(let path):
            "\(path.isEmpty ? "the repository root" : path): no Procfile, requirements.txt, pyproject.toml, package.json, go.mod, Package.swift or index.html — add a Procfile (web: <command>) or a paastech.toml"
        case .buildFailed(let deployment, let detail): "\(deployment): build failed: \(detail)"
        case .healthCheckFailed(let deployment, let detail): "\(deployment): the new release failed its health check (\(detail)); the previous release keeps serving"
        case .deployFailed(let deployment, let detail): "\(deployment): deploy failed: \(detail); the previous release keeps serving"
        case .platform(let detail): detail
        case .buildMissing(let deployment, let release): "\(deployment): the build of \(release) is no longer kept; push again to rebuild it"
        }
    }
}
