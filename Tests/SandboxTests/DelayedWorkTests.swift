import Cgroups
import Logging
@testable import Sandbox
import Synchronization
import Testing

@Suite("Delayed background work: refills and cgroup removals run a moment after the start or exit")
struct DelayedWorkTests {
    @Test("work runs once its delay has passed, in the order of its deadlines, whatever the order it came in")
    func runsInDeadlineOrder() async {
        let ran = Mutex<[(name: String, at: ContinuousClock.Instant)]>([])
        let scheduled = ContinuousClock.now
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // The later one first: the earlier one must wake the thread, which sleeps until the later deadline.
            DelayedWork.shared.run(after: .milliseconds(150)) {
                ran.withLock { $0.append(("late", .now)) }
                done.resume()
            }
            DelayedWork.shared.run(after: .milliseconds(30)) { ran.withLock { $0.append(("early", .now)) } }
        }
        let results = ran.withLock { $0 }
        #expect(results.map(\.name) == ["early", "late"])
        if results.count == 2 {
            #expect(results[0].at - scheduled >= .milliseconds(30))
            #expect(results[0].at - scheduled < .milliseconds(140), "the early one did not wait for the late one's deadline")
            #expect(results[1].at - scheduled >= .milliseconds(150))
        }
    }
}

@Suite("Cgroup removal of ended sandboxes", .serialized)
struct CgroupRemovalTests {
    @Test("an ended sandbox's cgroup goes away on its own shortly after, and a sandbox of the same id starts")
    func removedAfterExit() async throws {
        var options = SandboxHarness.options("exit 0")
        options.id = "removal-" + String(UInt32.random(in: .min ... .max), radix: 16)
        let name = try CgroupName.app(validating: options.id)
        let manager = SandboxHarness.runner.cgroups
        #expect(try await SandboxHarness.run(options).status == 0)
        // The second start waits for its predecessor's removal and reuses the name.
        #expect(try await SandboxHarness.run(options).status == 0)
        let deadline = ContinuousClock.now + .seconds(3)
        while try manager.existing().contains(name), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try !manager.existing().contains(name), "removed on its own")
    }

    @Test("waiting for a removal starts it at once instead of after its delay")
    func waitingHurriesTheRemoval() async throws {
        let manager = SandboxHarness.runner.cgroups
        let removals = CgroupRemovals(manager: manager, logger: Logger(label: "test"), delay: .seconds(60))
        let name = try CgroupName.app(validating: "hurried-" + String(UInt32.random(in: .min ... .max), radix: 16))
        removals.remove(try manager.create(name, limits: ResourceLimits(pids: 16)))
        #expect(try manager.existing().contains(name), "started before its delay")
        let waited = ContinuousClock.now
        await removals.waitUntilRemoved(name)
        #expect(ContinuousClock.now - waited < .seconds(5))
        #expect(try !manager.existing().contains(name))
    }
}
