import Foundation
import Sandbox

extension Supervisor {
    /// After a (re)start of pomegranate: loads the desired state, re-adopts the instances that kept
    /// running (same pid, same sandbox, output pipes recovered from their init), cleans up what did
    /// not survive, and starts whatever is missing.
    public func restore() async {
        for path in files(in: layout.deploymentsDirectory) {
            do {
                if let state = try StateFile.read(DeploymentState.self, from: path) {
                    deployments[state.identity.deploymentID] = state
                }
            } catch {
                logger.error("a deployment's state cannot be read; it is skipped", metadata: ["error": "\(error)"])
            }
        }
        var adopted: Set<String> = []
        for path in files(in: layout.instancesDirectory) {
            guard let record = try? StateFile.read(InstanceRecord.self, from: path) else {
                StateFile.remove(path)
                continue
            }
            if await adopt(record) {
                adopted.insert(record.sandboxID)
            } else {
                StateFile.remove(path)
            }
        }
        do {
            try await runner.reconcile(keeping: adopted)
        } catch {
            logger.warning("leftover sandboxes could not all be cleaned up", metadata: ["error": "\(error)"])
        }
        logger.info("restored", metadata: ["deployments": "\(deployments.count)", "adopted": "\(adopted.count)"])
        for state in deployments.values {
            for releaseID in state.releases.keys {
                do {
                    try await reconcileInstances(deploymentID: state.identity.deploymentID, releaseID: releaseID)
                } catch {
                    log(state.identity, "release \(releaseID) could not be brought back up: \(error)")
                }
            }
        }
        publishRoutes()
    }

    /// Takes over one instance that outlived the previous pomegranate; false if it is gone.
    private func adopt(_ record: InstanceRecord) async -> Bool {
        guard let state = deployments[record.deploymentID], let spec = state.releases[record.releaseID] else {
            // Its deployment was stopped while we were away: adopt it only to stop it.
            if let sandbox = try? await runner.adopt(id: record.sandboxID, isBuild: false, pid: record.pid, address: record.address,
                                              egress: true, limits: .init()) {
                _ = await sandbox.terminate(gracePeriod: .seconds(settings.stopTimeoutSeconds))
            }
            return false
        }
        let sandbox: RunningSandbox
        do {
            guard let found = try await runner.adopt(id: record.sandboxID, isBuild: false, pid: record.pid, address: record.address,
                                               egress: spec.egress,
                                               limits: .init(memoryBytes: spec.memoryBytes, cpuQuota: spec.cpu,
                                                             pids: spec.pids ?? settings.instancePids)) else {
                log(state.identity, "\(record.id) did not survive the restart of pomegranate")
                return false
            }
            sandbox = found
        } catch {
            log(state.identity, "\(record.id) could not be re-adopted: \(error)")
            return false
        }
        // The init holds the read ends of the app's stdout and stderr at fds 3 and 4.
        do {
            let stdout = try SandboxProcess.duplicateFD(pid: sandbox.pid, pidfd: sandbox.process.pidfd, targetFD: 3)
            let stderr = try SandboxProcess.duplicateFD(pid: sandbox.pid, pidfd: sandbox.process.pidfd, targetFD: 4)
            await readOutput(of: record.id, identity: state.identity, stdout: stdout, stderr: stderr)
        } catch {
            log(state.identity, "\(record.id): its output cannot be recovered, so it is restarted: \(error)")
            instances[record.id] = LiveInstance(record: record, state: .stopping, sandbox: sandbox, lastExit: nil, port: spec.port)
            _ = await terminate([record.id])
            return false
        }
        // It was serving before the restart.
        instances[record.id] = LiveInstance(record: record, state: .running, sandbox: sandbox, lastExit: nil, port: spec.port,
                                            accepting: true)
        watch(instanceID: record.id, generation: record.generation, sandbox: sandbox)
        log(state.identity, "\(record.id) re-adopted (pid \(record.pid))")
        return true
    }

    private func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".json") }
            .sorted()
            .map { directory + "/" + $0 }
    }
}
