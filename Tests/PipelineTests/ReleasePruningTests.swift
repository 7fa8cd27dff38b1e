import Foundation
import Testing

@testable import Pipeline

@Suite("Pruning old releases")
struct ReleasePruningTests {
    /// `v1`…`v<count>` builds with specifications; `reusing` maps a release to the earlier build it runs.
    func makeReleases(_ count: Int, reusing: [Int: Int] = [:]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-prune-\(UUID().uuidString)").path
        for version in 1...count {
            let build = reusing[version] ?? version
            try FileManager.default.createDirectory(atPath: "\(directory)/v\(build)", withIntermediateDirectories: true)
            let spec = ReleaseSpecification(
                projectID: "p", projectName: "shop", deploymentID: "d", deploymentName: "web", release: "v\(version)",
                directory: "\(directory)/v\(build)", recipe: BuildRecipe(builder: "procfile", buildScript: "", runCommand: "true", kind: .web),
                environment: [:], instances: 1, memoryMiB: 64, cpu: 1, egress: false, hosts: [])
            try spec.write()
        }
        return directory
    }

    func contents(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test("the newest N stay, with the serving one and the one before it; builds a kept release reuses stay")
    func keepsTheNewestAndTheProtected() throws {
        // v7 is a rollback to v2's build; v8 serves; v3 was serving before.
        let directory = try makeReleases(8, reusing: [7: 2])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/v9", withIntermediateDirectories: true)  // a build in progress
        let pruned = ReleasePruning(deploymentDirectory: directory, kept: 3).prune(protecting: ["v8", "v3"])
        #expect(pruned.releases == ["v1", "v2", "v4", "v5"])
        // The builds no kept release runs are named for pomegranate to delete (they belong to the project's uid).
        #expect(pruned.unusedBuilds == ["v1", "v4", "v5"].map { directory + "/" + $0 })
        #expect(try contents(directory) == ["v1", "v2", "v3", "v3.json", "v4", "v5", "v6", "v6.json", "v7.json", "v8", "v8.json", "v9"])
    }

    @Test("nothing to prune leaves everything")
    func fewReleasesStay() throws {
        let directory = try makeReleases(2)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pruned = ReleasePruning(deploymentDirectory: directory, kept: 5).prune(protecting: ["v2"])
        #expect(pruned.releases.isEmpty && pruned.unusedBuilds.isEmpty)
        #expect(try contents(directory) == ["v1", "v1.json", "v2", "v2.json"])
    }
}
