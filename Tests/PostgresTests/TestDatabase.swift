import DevPlatform
import Foundation
import Logging
import Postgres

/// A client on a fresh database of the shared test cluster.
func makeClient(poolSize: Int = 4, applicationName: String = uniqueName("pgtest")) async throws -> PostgresClient {
    var configuration = try await PostgresCluster.shared()
    configuration.poolSize = poolSize
    configuration.applicationName = applicationName
    return PostgresClient(configuration: configuration, logger: Logger(label: "postgres-tests"))
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// Polls `condition` every 20 ms until it holds; false when `seconds` pass first.
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}

/// Server processes of sessions with `applicationName`, optionally only those running SQL containing `text`.
func backendPIDs(_ observer: PostgresClient, applicationName: String, runningQueryContaining text: String? = nil)
    async throws -> [Int32]
{
    let rows = try await observer.query(
        """
        SELECT pid FROM pg_stat_activity
        WHERE application_name = $1 AND ($2::text IS NULL OR (state = 'active' AND strpos(query, $2) > 0))
        """,
        [applicationName, text])
    return try rows.map { try $0.decode("pid", as: Int32.self) }
}
