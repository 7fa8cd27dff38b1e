import AsyncHTTPClient
import Foundation
import GRPCNIOTransportHTTP2
import NIOCore
import PomegranateRPC

/// Decides whether new instances may take traffic.
struct HealthChecker {
    let timeout: Duration
    let workerSettleTime: Duration
    /// An app that answers, but only with server errors, is given this long to recover (a 503 while it
    /// warms up is fine) rather than the whole timeout, which is for apps still starting to listen.
    var serverErrorGrace: Duration = .seconds(5)

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Every address answers GET `path` with a status below 500 before the timeout (and within
    /// ``serverErrorGrace`` of its first server error).
    func checkWeb(addresses: [String], path: String) async throws {
        let deadline = ContinuousClock.now + timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            for address in addresses {
                group.addTask {
                    var last = "no answer"
                    var firstServerError: ContinuousClock.Instant?
                    while ContinuousClock.now < deadline {
                        do {
                            let request = HTTPClientRequest(url: "http://\(address)\(path)")
                            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
                            _ = try? await response.body.collect(upTo: 1 << 20)
                            if response.status.code < 500 { return }
                            last = "HTTP \(response.status.code)"
                            let since = firstServerError ?? ContinuousClock.now
                            firstServerError = since
                            if ContinuousClock.now - since >= serverErrorGrace {
                                throw Failure(description: "\(address): \(last) for \(serverErrorGrace)")
                            }
                        } catch let failure as Failure {
                            throw failure
                        } catch {
                            last = "\(error)"
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    throw Failure(description: "\(address): \(last) after \(timeout)")
                }
            }
            try await group.waitForAll()
        }
    }

    /// Throws as soon as one of the release's instances has exited (Pomegranate is restarting it): an app that
    /// crashes at start fails its deploy at once instead of after the whole timeout. Polls until cancelled.
    func failOnCrash(deploymentID: String, release: String, instances: [Paastech_Pomegranate_V1_Instance],
                     using pomegranate: PomegranateClient) async throws {
        var request = Paastech_Pomegranate_V1_StatusRequest()
        request.deploymentID = deploymentID
        let ids = Set(instances.map(\.id))
        while true {
            try await Task.sleep(for: .milliseconds(250))
            let current = try await pomegranate.instances.status(request).deployments.first?.instances ?? []
            if let crashed = current.first(where: { ids.contains($0.id) && $0.releaseID == release && $0.restarts > 0 }) {
                throw Failure(description: "\(crashed.id) exited: \(crashed.lastExit)")
            }
        }
    }

    /// The release's instances are all still running, without a restart, after the settle time.
    func checkWorkers(deploymentID: String, release: String, instances: [Paastech_Pomegranate_V1_Instance],
                      using pomegranate: PomegranateClient) async throws {
        try await Task.sleep(for: workerSettleTime)
        var request = Paastech_Pomegranate_V1_StatusRequest()
        request.deploymentID = deploymentID
        let current = try await pomegranate.instances.status(request).deployments.first?.instances.filter { $0.releaseID == release } ?? []
        for instance in instances {
            guard let now = current.first(where: { $0.id == instance.id }), now.state == .running, now.restarts == 0 else {
                let exit = current.first(where: { $0.id == instance.id })?.lastExit ?? "gone"
                throw Failure(description: "\(instance.id) did not stay up: \(exit)")
            }
        }
    }
}
