import PomegranateRPC

/// What a restore asks Pomegranate itself, over its socket (root only): which deployments run on this host,
/// and to stop those the restored database does not have (a `--force` restore over a platform in use).
struct RestoreAgent: Sendable {
    let socket: String

    /// The deployments Pomegranate runs, by id; also proves it answers before anything is changed.
    func runningDeployments() async throws(BackupError) -> Set<String> {
        do {
            return try await PomegranateConnection.withClient(socketPath: socket) { pomegranate in
                Set(try await pomegranate.instances.status(Paastech_Pomegranate_V1_StatusRequest()).deployments.map(\.deploymentID))
            }
        } catch {
            throw .agentUnavailable(socket: socket, detail: "\(error)")
        }
    }

    /// Stops every instance of these deployments; Pomegranate forgets them.
    func stop(_ deployments: Set<String>) async throws(BackupError) {
        do {
            try await PomegranateConnection.withClient(socketPath: socket) { pomegranate in
                try await pomegranate.stopDeployments(deployments.sorted())
            }
        } catch {
            throw .agentUnavailable(socket: socket, detail: "\(error)")
        }
    }
}
