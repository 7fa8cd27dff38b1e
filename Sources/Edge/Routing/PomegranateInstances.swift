import PomegranateRPC

/// The calls the edge makes to Pomegranate's Instances service for sleeping deployments.
public enum PomegranateInstances {
    /// Instances.Wake over `socketPath`.
    public static func wake(socketPath: String) -> SleepingDeployments.Wake {
        { deploymentID in
            var request = Paastech_Pomegranate_V1_WakeRequest()
            request.deploymentID = deploymentID
            _ = try await PomegranateConnection.withClient(socketPath: socketPath) { try await $0.instances.wake(request) }
        }
    }

    /// Instances.ReportActivity over `socketPath`.
    public static func reportActivity(socketPath: String) -> ActivityReporter.Report {
        { deploymentIDs in
            var report = Paastech_Pomegranate_V1_ActivityReport()
            report.deploymentIds = deploymentIDs
            _ = try await PomegranateConnection.withClient(socketPath: socketPath) { try await $0.instances.reportActivity(report) }
        }
    }
}
