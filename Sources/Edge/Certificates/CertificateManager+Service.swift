import ACME
import Foundation
import Logging
import ServiceLifecycle

extension CertificateManager {
    /// Issues queued certificates, renews them before they expire, retries failures when their back-off
    /// ends and delivers status changes to the hook, until cancelled or a graceful shutdown.
    /// Run it once (it is a swift-service-lifecycle `Service`).
    public func run() async throws {
        let alreadyRunning = state.withLock { state -> Bool in
            defer { state.running = true }
            return state.running
        }
        guard !alreadyRunning else {
            throw EdgeCertificateError(.issuance, operation: "run the certificate manager", reason: "it is already running",
                                   hint: "add it to one ServiceGroup only")
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let onStatusChange = self.onStatusChange {
                    group.addTask {
                        for await status in self.statusEvents.stream {
                            await onStatusChange(status)
                        }
                    }
                }
                group.addTask { await self.scheduleRenewals() }
                group.addTask { await self.processRequests() }
                await group.waitForAll()
            }
        }
    }

    /// Takes queued hosts and issues for them, a few at a time.
    private func processRequests() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await host in requests.stream {
                if running >= schedule.maximumConcurrentIssuances {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.processQueued(host) }
                running += 1
            }
            group.cancelAll()
        }
    }

    /// Every ``Schedule/checkInterval``: queues the routed hosts whose renewal or retry is due, and
    /// reports certificates that ran out.
    private func scheduleRenewals() async {
        while !Task.isCancelled {
            queueDueHosts(now: Date())
            try? await Task.sleep(for: schedule.checkInterval)
        }
    }

    /// Queues every routed host whose ``HostRecord/nextAttempt`` has come.
    func queueDueHosts(now: Date) {
        guard kind != .selfSignedOnly else { return }
        let (due, changes) = state.withLock { state -> ([CertificateHostName], [CertificateStatus]) in
            var changes: [CertificateStatus] = []
            var due: [CertificateHostName] = []
            for (name, var record) in state.records {
                if let change = record.takeStatusChange(now: now) { changes.append(change) }  // e.g. just expired
                if !record.queued && !record.inProgress && (record.nextAttempt ?? now) <= now {
                    due.append(record.host)
                }
                state.records[name] = record
            }
            return (due, changes)
        }
        changes.forEach(report)
        forgetUnroutedHosts(now: now)
        // The route table is asked outside the lock: it may take locks of its own.
        for host in due where isKnownHost(host.value) {
            let queued = state.withLock { state -> Bool in
                guard var record = state.records[host.value], !record.queued, !record.inProgress else { return false }
                record.queued = true
                state.records[host.value] = record
                return true
            }
            if queued {
                logger.info("certificate due", metadata: ["host": "\(host)"])
                requests.continuation.yield(host)
            }
        }
    }
}

extension CertificateManager {
    /// Deletes the certificates of hosts the route table has not had for ``Schedule/forgetUnroutedAfter``
    /// (a removed custom domain, a deleted project), so they are neither renewed nor kept.
    func forgetUnroutedHosts(now: Date) {
        let hosts = state.withLock { Array($0.records.keys) }
        // The route table is asked outside the lock: it may take locks of its own.
        let routed = Set(hosts.filter { isKnownHost($0) })
        let forgotten = state.withLock { state -> [CertificateHostName] in
            var forgotten: [CertificateHostName] = []
            for (name, var record) in state.records {
                if routed.contains(name) {
                    record.unroutedSince = nil
                } else if let since = record.unroutedSince {
                    if now.timeIntervalSince(since) >= CertificateManager.timeInterval(schedule.forgetUnroutedAfter), !record.inProgress {
                        state.records[name] = nil
                        forgotten.append(record.host)
                        continue
                    }
                } else {
                    record.unroutedSince = now
                }
                state.records[name] = record
            }
            return forgotten
        }
        for host in forgotten {
            store.remove(host)
            logger.info("certificate of a host no longer routed deleted", metadata: ["host": "\(host)"])
        }
    }
}
