import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Systemd

@Suite("Periodic services")
struct PeriodicServiceTests {
    @Test func itRunsAgainAndAgainUntilTheGroupShutsDown() async throws {
        let runs = Atomic<Int>(0)
        let (group, running) = Self.run(PeriodicService(.every(.milliseconds(20))) { runs.add(1, ordering: .relaxed) })
        // Polled, not timed: under a loaded suite the first runs may come late.
        let deadline = ContinuousClock.now + .seconds(20)
        while runs.load(ordering: .relaxed) < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(runs.load(ordering: .relaxed) >= 3)
        await group.triggerGracefulShutdown()
        try await running.value
        let after = runs.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(100))
        #expect(runs.load(ordering: .relaxed) == after, "it ran after the shutdown")
    }

    @Test func aShutdownInterruptsTheWait() async throws {
        let runs = Atomic<Int>(0)
        let (group, running) = Self.run(PeriodicService(.every(.seconds(3600))) { runs.add(1, ordering: .relaxed) })
        try await Task.sleep(for: .milliseconds(100))
        let stopping = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(ContinuousClock.now - stopping < .seconds(30), "the hour-long wait was not interrupted")
        #expect(runs.load(ordering: .relaxed) == 0, "it ran on the way out")
    }

    static func run(_ service: PeriodicService) -> (ServiceGroup, Task<Void, Error>) {
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
        return (group, Task { try await group.run() })
    }

    @Test func perMinuteRunsComeJustAfterTheMinuteStarts() {
        let service = PeriodicService(.startOfEveryMinute) {}
        #expect(service.delay(now: Date(timeIntervalSince1970: 120.5)) == .milliseconds(59_505))
        #expect(service.delay(now: Date(timeIntervalSince1970: 179.999)) == .milliseconds(6))
    }
}
