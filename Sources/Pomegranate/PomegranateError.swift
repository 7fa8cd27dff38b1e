import Glibc

/// What went wrong in pomegranate, with enough context to act on.
public enum PomegranateError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A request field failed validation.
    case invalidArgument(field: String, problem: String)
    case unknownDeployment(String)
    case unknownRelease(deployment: String, release: String)
    case unknownInstance(String)
    /// A session or scale needs a running instance and there is none.
    case noRunningInstance(deployment: String)
    case uidRangeExhausted(range: ClosedRange<Int>)
    case stateFile(path: String, detail: String)
    case logFile(path: String, errno: Int32)
    /// Starting a sandbox failed; `detail` is the sandbox layer's own error.
    case sandboxFailed(instance: String, detail: String)

    public var description: String {
        switch self {
        case .invalidArgument(let field, let problem): "\(field): \(problem)"
        case .unknownDeployment(let id): "no deployment \(id) is known to pomegranate (deploy it first)"
        case .unknownRelease(let deployment, let release): "deployment \(deployment) has no release \(release) (deploy it first)"
        case .unknownInstance(let id): "no instance \(id)"
        case .noRunningInstance(let deployment): "deployment \(deployment) has no running instance"
        case .uidRangeExhausted(let range):
            "every uid in \(range.lowerBound)...\(range.upperBound) is taken: raise [pomegranate] uid_count"
        case .stateFile(let path, let detail): "state file \(path) \(detail)"
        case .logFile(let path, let errno): "log file \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case .sandboxFailed(let instance, let detail): "\(instance): the sandbox could not start: \(detail)"
        }
    }
}
