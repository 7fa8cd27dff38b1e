import Logging
import Synchronization
import Systemd

/// Every deployment's log: appends go to the deployment's bounded file and to journald (with
/// `PAASTECH_PROJECT`, `PAASTECH_DEPLOYMENT`, `PAASTECH_INSTANCE`), and to whoever follows it.
public final class LogBook: Sendable {
    let directory: String
    let maxBytes: Int
    let forwardsToJournal: Bool
    let logger: Logger
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var logs: [String: DeploymentLog] = [:]
        var followers: [String: [Int: Follower]] = [:]
        var nextFollower = 0
    }

    private struct Follower {
        var instance: String?
        var continuation: AsyncStream<LogLine>.Continuation
    }

    /// - Parameters:
    ///   - directory: One subdirectory per deployment id is made below it.
    ///   - maxBytes: The budget per deployment.
    public init(directory: String, maxBytes: Int, forwardsToJournal: Bool = Journal.isAvailable, logger: Logger) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.forwardsToJournal = forwardsToJournal
        self.logger = logger
    }

    /// Appends one line. Never throws: a full disk must not stop an app, so failures are logged.
    public func append(_ text: String, stream: LogLine.Stream, instance: String, deployment: DeploymentIdentity) {
        let line = LogLine(timestamp: LogLine.now(), instance: instance, stream: stream, text: text)
        let failure = state.withLock { (state: inout State) -> PomegranateError? in
            for follower in (state.followers[deployment.deploymentID] ?? [:]).values
            where follower.instance == nil || follower.instance == instance {
                follower.continuation.yield(line)
            }
            do throws(PomegranateError) {
                try log(deployment.deploymentID, in: &state).append(line)
                return nil
            } catch {
                return error
            }
        }
        if let failure { logger.error("cannot write a deployment log", metadata: ["error": "\(failure)"]) }
        if forwardsToJournal {
            Journal.send([
                ("MESSAGE", text),
                ("PRIORITY", stream == .stderr ? "4" : "6"),
                ("SYSLOG_IDENTIFIER", "paastech-app"),
                ("PAASTECH_PROJECT", deployment.projectName),
                ("PAASTECH_PROJECT_ID", deployment.projectID),
                ("PAASTECH_DEPLOYMENT", deployment.deploymentName),
                ("PAASTECH_DEPLOYMENT_ID", deployment.deploymentID),
                ("PAASTECH_INSTANCE", instance),
                ("PAASTECH_STREAM", stream.rawValue),
            ])
        }
    }

    /// The kept lines (the last `tail`, or all when 0), optionally of one instance; with `follow`, the
    /// stream then goes on with new lines until the caller stops iterating.
    public func lines(deploymentID: String, instance: String? = nil, tail: Int = 0, follow: Bool) -> AsyncStream<LogLine> {
        let (stream, continuation) = AsyncStream.makeStream(of: LogLine.self, bufferingPolicy: .bufferingNewest(50_000))
        // History and registration under one lock: no line is lost or repeated between them.
        let id: Int? = state.withLock { state in
            var history = (try? log(deploymentID, in: &state).lines()) ?? []
            if let instance { history.removeAll { $0.instance != instance } }
            if tail > 0 && history.count > tail { history.removeFirst(history.count - tail) }
            for line in history { continuation.yield(line) }
            guard follow else { return nil }
            let id = state.nextFollower
            state.nextFollower += 1
            state.followers[deploymentID, default: [:]][id] = Follower(instance: instance, continuation: continuation)
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.followers[deploymentID]?[id] = nil
                if state.followers[deploymentID]?.isEmpty == true { state.followers[deploymentID] = nil }
            }
        }
        return stream
    }

    /// Deletes a deployment's log and ends its followers.
    public func remove(deploymentID: String) {
        state.withLock { state in
            for follower in (state.followers.removeValue(forKey: deploymentID) ?? [:]).values { follower.continuation.finish() }
            let log = state.logs.removeValue(forKey: deploymentID)
                ?? (try? DeploymentLog(directory: directory + "/" + deploymentID, maxBytes: maxBytes))
            log?.removeAll()
        }
    }

    private func log(_ deploymentID: String, in state: inout State) throws(PomegranateError) -> DeploymentLog {
        if let existing = state.logs[deploymentID] { return existing }
        let created = try DeploymentLog(directory: directory + "/" + deploymentID, maxBytes: maxBytes)
        state.logs[deploymentID] = created
        return created
    }
}
