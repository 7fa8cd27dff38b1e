import Foundation
import Testing
@testable import Pipeline

@Suite("Detection of deployments and builders")
struct DetectorTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    @Test func theExamplesAreDetected() throws {
        let python = try Detector.detect(root: Self.examples + "/python-hello")
        #expect(python.map(\.name) == ["web"])
        #expect(python.first?.recipe.builder == "procfile" && python.first?.recipe.runCommand == "python3 app.py")

        let requests = try #require(try Detector.detect(root: Self.examples + "/python-requests").first)
        #expect(requests.recipe.builder == "python")
        #expect(requests.recipe.buildScript.contains("pip install --no-input -r requirements.txt"))
        #expect(requests.recipe.runCommand == "python3 app.py")
        #expect(requests.recipe.environment["PATH"]?.hasPrefix("/app/.venv/bin") == true)

        let node = try #require(try Detector.detect(root: Self.examples + "/node-hello").first)
        #expect(node.recipe.builder == "node" && node.recipe.runCommand == "npm start")
        #expect(!node.recipe.buildScript.contains("npm install"), "no dependencies: nothing to install")

        let site = try #require(try Detector.detect(root: Self.examples + "/static-site").first)
        #expect(site.recipe.builder == "static" && site.recipe.buildScript.isEmpty)

        let monorepo = try Detector.detect(root: Self.examples + "/monorepo")
        #expect(monorepo.map(\.name) == ["api", "jobs", "site"])
        let api = try #require(monorepo.first { $0.name == "api" })
        #expect(api.path == "api" && api.recipe.healthCheckPath == "/health" && api.memoryMiB == 128)
        #expect(monorepo.first { $0.name == "jobs" }?.recipe.kind == .worker)
        #expect(monorepo.first { $0.name == "site" }?.recipe.builder == "static")
    }

    @Test func badManifestsSayWhatToFix() {
        let cases: [(String, String)] = [
            ("[deployments.Web]\nrun = \"x\"", "names are a-z"),
            ("[deployments.web]\nport = 70000", "port: expected an integer"),
            ("[deployments.web]\npath = \"../etc\"", "without . or .."),
            ("[deployments.web]\nmemory = \"lots\"", "memory: expected"),
            ("[deployments.web]\nhealth = \"/\"", "unknown key `health`"),
            ("title = \"x\"", "unknown key `title`"),
            ("[deployments.web\n", "paastech.toml:"),
            ("[deployments.web]\nsleep_after = \"soon\"", "sleep_after: expected a duration"),
            ("[deployments.web]\nsleep_after = 15", "sleep_after: expected a duration"),
            ("[deployments.jobs]\nworker = true\nsleep_after = \"5m\"", "a worker gets no requests to wake it"),
            ("[deployments.web]\nmax_body = \"huge\"", "max_body: expected a size"),
            ("[deployments.web]\nmax_body = \"17G\"", "max_body: expected a size"),
        ]
        for (text, expected) in cases {
            do {
                _ = try ProjectManifest.parse(text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(expected), "\(text) → \(error)")
            }
        }
        #expect(ProjectManifest.mebibytes(of: "1G") == 1024 && ProjectManifest.mebibytes(of: "512M") == 512)
    }

    @Test func sleepAfterAndMaxBodyAreRead() throws {
        let manifest = try ProjectManifest.parse("[deployments.web]\nsleep_after = \"15m\"\nmax_body = \"50M\"\n[deployments.api]\nsleep_after = \"30s\"")
        let web = try #require(manifest.deployments.first { $0.name == "web" }?.deployment)
        #expect(web.sleepAfterSeconds == 900 && web.maxBodyBytes == 50 << 20)
        #expect(manifest.deployments.first { $0.name == "api" }?.deployment.sleepAfterSeconds == 30)
        #expect(ProjectManifest.seconds(of: "2h") == 7200 && ProjectManifest.seconds(of: "2d") == nil)
        #expect(ProjectManifest.bytes(of: "512K") == 512 << 10 && ProjectManifest.bytes(of: "1GiB") == 1 << 30)
    }

    @Test func anEmptyTreeIsUndetectable() throws {
        let empty = "/tmp/paastech-detect-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try "nothing".write(toFile: empty + "/README", atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.undetectable(path: "")) { try Detector.detect(root: empty) }
        try "web python3 app.py".write(toFile: empty + "/Procfile", atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.self) { try Detector.detect(root: empty) }
    }
}
