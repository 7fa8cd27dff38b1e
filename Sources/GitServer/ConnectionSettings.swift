import InternalAPIClient
import Logging
import PlatformConfig

/// What every connection thread needs, fixed when the server starts.
struct ConnectionSettings: Sendable {
    /// `[git]`: limits.
    let limits: PlatformConfiguration.Git
    /// Where the bare repositories are, `<dir>/<project-uuid>.git`.
    let repositoriesDirectory: String
    /// The git executable (`git receive-pack <repository>` is run, never through a shell).
    let gitExecutable: String
    /// Passed on to receive-pack's hooks as `PAASTECH_CONFIG`.
    let configurationPath: String?
    let api: InternalAPIClient
    let registry: ConnectionRegistry
    let logger: Logger

    /// Bytes a client may send into receive-pack (`max_push_mib`).
    var maximumPushBytes: Int { limits.maxPushMiB * 1024 * 1024 }
}
