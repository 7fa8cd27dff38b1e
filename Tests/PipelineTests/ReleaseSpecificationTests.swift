import Foundation
import Testing

@testable import Pipeline

@Suite("Release specifications")
struct ReleaseSpecificationTests {
    /// A restored backup (or a moved state_dir) puts the releases elsewhere than the absolute path recorded.
    @Test func theBuildIsFoundNextToTheSpecificationWhereverItWasWritten() throws {
        let moved = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-spec-\(UUID().uuidString)/releases/d").path
        try FileManager.default.createDirectory(atPath: moved, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: (moved as NSString).deletingLastPathComponent) }
        let recorded = ReleaseSpecification(
            projectID: "p", projectName: "shop", deploymentID: "d", deploymentName: "web", release: "v3",
            directory: "/var/lib/elsewhere/releases/d/v2", recipe: BuildRecipe(builder: "procfile", buildScript: "", runCommand: "true", kind: .web),
            environment: ["A": "1"], instances: 2, memoryMiB: 64, cpu: 1, egress: false, hosts: ["web.shop.apps.example.com"])
        let path = moved + "/v3.json"
        try JSONEncoder().encode(recorded).write(to: URL(fileURLWithPath: path))

        let read = try ReleaseSpecification.read(path: path)
        #expect(read.directory == moved + "/v2", "the build of v2, next to v3's description")
        #expect(read.path == path)
        var expected = recorded
        expected.directory = moved + "/v2"
        #expect(read == expected)
    }
}
