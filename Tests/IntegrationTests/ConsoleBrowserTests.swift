import Foundation
import Glibc
import Systemd
import Testing

/// The web console in a real headless Chromium, driven by Selenium (Browser/console_story.py), against a
/// `paastech dev` whose apps really run: the whole story of a user, and the admin who disables them.
/// Screenshots of each main page are kept in `artifacts/console/`.
@Suite("web console in a real browser, through paastech dev", .serialized,
       .enabled(if: geteuid() == 0, "sandboxes need root"),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver is not installed (make test installs it)"))
struct ConsoleBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("sign up, verify, SSH key, project, git push, env var, rollback, delete; the admin disables the user")
    func userStory() async throws {
        for attempt in 1...2 {
            let state = try temporaryDirectory("console")
            guard let dev = try await DevPlatformRun.start(stateDirectory: state, apiPort: try freePort(), sshPort: try freePort(),
                                                         sandboxName: "ptdevweb", sandboxSubnet: "10.99.0.0/16") else { return }
            let work = state.appendingPathComponent("work").path
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let story = try await ProgramRun("/usr/bin/python3", [
                Self.root.appendingPathComponent("Tests/IntegrationTests/Browser/console_story.py").path,
                state.appendingPathComponent("dev.json").path, Self.root.appendingPathComponent("examples/python-hello").path,
                Self.root.appendingPathComponent("artifacts/console").path, work,
            ], environment: ["PATH": "/usr/bin:/bin", "HOME": work], timeout: .seconds(900)).run()
            let stopped = await dev.stop()
            // Chromium fails a page load with ERR_NETWORK_CHANGED when interfaces come and go on the host, as the
            // sandboxes of suites running meanwhile make them do (Chromium issue 41465264; no switch turns it off).
            // Then the whole story runs once more, on a fresh platform; it must pass in full either way.
            if attempt == 1, story.exitCode != 0, story.stdoutText.contains("ERR_NETWORK_CHANGED") {
                print("console story: Chromium's ERR_NETWORK_CHANGED interrupted it; running it again on a fresh platform")
                continue
            }
            #expect(story.exitCode == 0, "\(story.stdoutText)\n\(story.stderrText.suffix(3000))\n\(dev.process.log.suffix(3000))")
            #expect(story.stdoutText.contains("console story: all steps passed"), "\(story.stdoutText)")
            #expect(stopped == 0, "\(dev.process.log.suffix(3000))")
            return
        }
    }
}
