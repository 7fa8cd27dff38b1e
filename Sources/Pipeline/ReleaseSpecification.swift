import Foundation
import PomegranateRPC

/// Everything needed to run a release, written next to its directory as `v<N>.json` (not inside
/// it: the app must not read it) so that a rollback or a config change runs it again without a build.
public struct ReleaseSpecification: Codable, Sendable, Equatable {
    public var projectID: String
    public var projectName: String
    public var deploymentID: String
    public var deploymentName: String
    /// `v<N>`.
    public var release: String
    /// The build: `<releases>/<deployment-uuid>/v<K>`, where K is N unless this release reuses an earlier
    /// release's build (a rollback or a config change).
    public var directory: String
    public var recipe: BuildRecipe
    /// The deployment's configuration at release time (values may be secrets: the file is 0600).
    public var environment: [String: String]
    public var instances: Int
    public var memoryMiB: Int
    public var cpu: Double
    public var egress: Bool
    public var hosts: [String]
    /// Stop after this long without requests (paastech.toml `sleep_after`); nil: never.
    public var sleepAfterSeconds: Int? = nil
    /// The largest request body the edge passes on (`max_body`); nil: the edge's default.
    public var maxBodyBytes: Int? = nil

    /// `<releases>/<deployment-uuid>/v<N>.json`, next to the builds.
    public var path: String { Self.path(deploymentDirectory: (directory as NSString).deletingLastPathComponent, release: release) }

    /// Where release `release` of the deployment whose builds are in `deploymentDirectory` is described.
    public static func path(deploymentDirectory: String, release: String) -> String {
        deploymentDirectory + "/" + release + ".json"
    }

    public func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
    }

    /// Writes the specification over its existing file, which keeps its owner and group: `paastech restore`
    /// runs as root, and the API and the push hook that read the file later run as the platform's users.
    func rewrite() throws {
        var status = stat()
        let existing = stat(path, &status) == 0
        try write()
        if existing && geteuid() == 0 && chown(path, status.st_uid, status.st_gid) != 0 {
            throw PipelineError.platform("cannot give \(path) back to uid \(status.st_uid): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads a specification; its build directory is taken to be next to it, wherever the file was written:
    /// `directory` is recorded as an absolute path, and a restored backup or a moved `state_dir` puts the
    /// releases somewhere else.
    public static func read(path: String) throws -> ReleaseSpecification {
        var spec = try JSONDecoder().decode(ReleaseSpecification.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        spec.directory = (path as NSString).deletingLastPathComponent + "/" + (spec.directory as NSString).lastPathComponent
        return spec
    }

    /// The run command through /bin/sh; a simple command is exec'd so the app itself gets SIGTERM.
    var command: [String] {
        let compound = recipe.runCommand.contains { ";&|\n".contains($0) }
        return ["/bin/sh", "-c", compound ? recipe.runCommand : "exec " + recipe.runCommand]
    }

    func deployRequest() -> Paastech_Pomegranate_V1_DeployRequest {
        var request = Paastech_Pomegranate_V1_DeployRequest()
        request.projectID = projectID
        request.projectName = projectName
        request.deploymentID = deploymentID
        request.deploymentName = deploymentName
        request.releaseID = release
        request.releaseDirectory = directory
        request.command = command
        request.environment = recipe.environment.merging(environment) { $1 }
        request.instances = UInt32(instances)
        request.port = UInt32(recipe.port)
        request.limits.memoryBytes = UInt64(memoryMiB) << 20
        request.limits.cpu = cpu
        request.egress = egress
        request.hosts = hosts
        request.sleepAfterSeconds = UInt32(clamping: sleepAfterSeconds ?? 0)
        request.maxBodyBytes = UInt64(clamping: maxBodyBytes ?? 0)
        return request
    }
}
