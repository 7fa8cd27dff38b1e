import PomegranateRPC

/// The calls the edge makes to Pomegranate's Sleep service.
public enum PomegranateSleep {
    /// Sleep.Wake over `socketPath`.
    public static func wake(socketPath: String) -> SleepingDeployments.Wake {
        { deploymentID in
            var request = Paastech_Pomegranate_V1_WakeRequest()
            request.deploymentID = deploymentID
            _ = try await PomegranateConnection.withClient(socketPath: socketPath) { try await $0.sleep.wake(request) }
        }
    }

    /// Sleep.ReportActivity over `socketPath`.
    public static func reportActivity(socketPath: String) -> ActivityReporter.Report {
        { deploymentIDs in
            var report = Paastech_Pomegranate_V1_ActivityReport()
            report.deploymentIds = deploymentIDs
            _ = try await PomegranateConnection.withClient(socketPath: socketPath) { try await $0.sleep.reportActivity(report) }
        }
    }
}
