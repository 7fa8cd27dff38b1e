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

    @Test func anEmptyTreeIsUndetectable() throws {
        let empty = "/tmp/paastech-detect-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try "nothing".write(toFile: empty + "/README", atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.undetectable(path: "")) { try Detector.detect(root: empty) }
        try "web python3 app.py".write(toFile: empty + "/Procfile", atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.self) { try Detector.detect(root: empty) }
    }
}
