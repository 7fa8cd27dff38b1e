import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import PlatformConfig

/// `paastech rollback PROJECT/DEPLOYMENT RELEASE`: runs an earlier release again (its build and its
/// configuration, no rebuild) with the push's health check and zero-downtime switch, through the API as the
/// token's user (`POST /v1/deployments/{uuid}/rollback`).
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Redeploy an earlier release of a deployment without rebuilding it.")

    @OptionGroup var config: ConfigurationOptions
    @Option(help: "The API's base URL (default: http://<[api] listen>).") var api: String?
    @Option(help: "An API token (default: $PAASTECH_TOKEN); create one with POST /v1/tokens.") var token: String?
    @Argument(help: "PROJECT/DEPLOYMENT, e.g. shop/web.") var target: String
    @Argument(help: "The release to go back to, e.g. v3.") var release: String

    func validate() throws {
        guard target.split(separator: "/", omittingEmptySubsequences: false).count == 2 else {
            throw ValidationError("\(target): expected PROJECT/DEPLOYMENT, e.g. shop/web")
        }
        guard Int(release.hasPrefix("v") ? String(release.dropFirst()) : release).map({ $0 > 0 }) == true else {
            throw ValidationError("\(release): expected a release number such as v3")
        }
    }

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["PAASTECH_TOKEN"], !token.isEmpty else {
            throw ValidationError("give an API token with --token or PAASTECH_TOKEN")
        }
        let base = try api ?? "http://\(config.load().api.listen)"
        let client = APIClient(base: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token)
        let parts = target.split(separator: "/").map(String.init)
        let version = Int(release.hasPrefix("v") ? String(release.dropFirst()) : release) ?? 0

        let projects = try await client.items("/v1/projects")
        guard let project = projects.first(where: { $0["name"] as? String == parts[0] })?["uuid"] as? String else {
            throw ValidationError("you have no project \(parts[0])")
        }
        let deployments = try await client.items("/v1/projects/\(project)/deployments")
        guard let deployment = deployments.first(where: { $0["name"] as? String == parts[1] })?["uuid"] as? String else {
            throw ValidationError("project \(parts[0]) has no deployment \(parts[1])")
        }
        let releases = try await client.items("/v1/deployments/\(deployment)/releases")
        guard let releaseID = releases.first(where: { $0["version"] as? Int == version })?["id"] as? Int else {
            throw ValidationError("\(target) has no release v\(version)")
        }
        let (status, answer) = try await client.send("POST", "/v1/deployments/\(deployment)/rollback", ["release_id": releaseID])
        for line in answer["output"] as? [String] ?? [] { print(line) }
        guard status == 200 else {
            let message = (answer["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(status)"
            FileHandle.standardError.write(Data(" !     \(message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// JSON over HTTP with a bearer token.
    struct APIClient {
        let base: String
        let token: String

        func items(_ path: String) async throws -> [[String: Any]] {
            let (status, answer) = try await send("GET", path, nil)
            guard status == 200 else {
                throw ValidationError("GET \(path): \((answer["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(status)")")
            }
            return answer["items"] as? [[String: Any]] ?? []
        }

        func send(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> (Int, [String: Any]) {
            var request = HTTPClientRequest(url: base + path)
            request.method = .init(rawValue: method)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            }
            // Long enough for a build-less deploy and its health check.
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object)
        }
    }
}
