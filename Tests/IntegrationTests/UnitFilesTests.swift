import Foundation
import Systemd
import Testing

/// The systemd units' hardening, as `systemd-analyze security` scores them (offline, from the files in
/// units/): at most 2.0 for the API, the console and the edge, 3.0 for gitd and the repo manager, and
/// below "EXPOSED" for pomegranate, which must stay root with the capabilities to make sandboxes (its unit
/// says what it can and cannot restrict). The scores are printed; `make e2e` prints them again from a real
/// systemd with the package installed.
@Suite("systemd units: hardening scores")
struct UnitFilesTests {
    static let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("units")

    static let limits: [(unit: String, limit: Double)] = [
        ("paastech-api.service", 2.0), ("paastech-web.service", 2.0), ("paastech-edge.service", 2.0),
        ("paastech-gitd.service", 3.0), ("paastech-repo-manager.service", 3.0), ("pomegranate.service", 7.0),
    ]

    @Test("exposure within the limits", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func exposure() async throws {
        for (unit, limit) in Self.limits {
            let result = try await ProgramRun("/usr/bin/systemd-analyze", ["security", "--offline=true", Self.units.appendingPathComponent(unit).path],
                                              environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(60)).run()
            let line = result.stdoutText.split(separator: "\n").last { $0.contains("Overall exposure level") }.map(String.init) ?? ""
            let score = line.split(separator: " ").compactMap { Double($0) }.first
            print("systemd-analyze security: \(unit) \(score.map { String($0) } ?? "?") (limit \(limit))")
            #expect(score.map { $0 <= limit } == true, "\(unit): \(line.isEmpty ? result.stderrText : line)")
        }
    }
}
