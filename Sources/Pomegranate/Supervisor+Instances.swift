import Glibc
import Sandbox

extension Supervisor {
    /// Starts or stops instances of a release until as many run (or are backing off) as it wants.
    func reconcileInstances(deploymentID: String, releaseID: String) async throws(PomegranateError) {
        guard let state = deployments[deploymentID], let spec = state.releases[releaseID] else { return }
        let desired = state.desiredInstances(of: releaseID)
        let current = instances.values
            .filter { $0.record.deploymentID == deploymentID && $0.record.releaseID == releaseID && $0.state != .stopping }
            .sorted { $0.record.startedAt < $1.record.startedAt }
        if current.count > desired {
            _ = await terminate(current.suffix(current.count - desired).map(\.record.id))
            return
        }
        let missing = desired - current.count
        guard missing > 0 else { return }
        let ids = (0..<missing).map { _ in newInstanceID(deploymentName: state.identity.deploymentName) }
        for id in ids {
            instances[id] = LiveInstance(
                record: InstanceRecord(id: id, deploymentID: deploymentID, releaseID: releaseID, sandboxID: "", generation: 0,
                                       pid: 0, address: nil, startedAt: LogLine.now(), restarts: 0),
                state: .starting, sandbox: nil, lastExit: nil, port: spec.port, accepting: spec.hosts.isEmpty)
        }
        var failure: PomegranateError?
        await withTaskGroup(of: PomegranateError?.self) { group in
            for id in ids {
                group.addTask {
                    do throws(PomegranateError) { try await self.launch(instanceID: id, generation: 1) } catch { return error }
                    return nil
                }
            }
            for await error in group where error != nil { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// `web-3f2a9c`: the deployment's name and a random part, unique among live instances.
    func newInstanceID(deploymentName: String) -> String {
        let base = String(deploymentName.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(24))
        while true {
            let id = base + "-" + String(UInt32.random(in: 0x10_0000...0xff_ffff), radix: 16)
            if instances[id] == nil { return id }
        }
    }

    /// Starts the sandbox of an instance entry (state `.starting` or `.backingOff`) and watches it.
    func launch(instanceID: String, generation: Int) async throws(PomegranateError) {
        guard let instance = instances[instanceID], let state = deployments[instance.record.deploymentID],
              let spec = state.releases[instance.record.releaseID] else { return }
        let sandboxID = "\(instanceID)-\(generation)"
        let stdout = try OutputPipe.make()
        let stderr: OutputPipe
        do { stderr = try OutputPipe.make() } catch { closeAll([stdout.readEnd, stdout.writeEnd]); throw error }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        var options = SandboxOptions(
            command: spec.command, hostname: instanceID, uid: state.uid, gid: state.uid,
            appDirectory: spec.releaseDirectory, dataDirectory: spec.dataDirectory,
            extraReadOnlyPaths: settings.readOnlyPaths,
            environment: spec.environment.merging([
                "PORT": String(spec.port), "PAASTECH_INSTANCE": instanceID, "PAASTECH_RELEASE": spec.releaseID,
                "PAASTECH_DEPLOYMENT": state.identity.deploymentName, "PAASTECH_PROJECT": state.identity.projectName,
            ]) { $1 },
            limits: .init(memoryBytes: spec.memoryBytes, cpuQuota: spec.cpu, pids: spec.pids ?? settings.instancePids),
            network: .bridged(egress: spec.egress))
        options.id = sandboxID
        options.stdio = [devNull, stdout.writeEnd, stderr.writeEnd]
        options.heldFDs = [stdout.readEnd, stderr.readEnd]
        let sandbox: RunningSandbox
        do {
            sandbox = try await runner.start(options)
        } catch {
            closeAll([devNull, stdout.readEnd, stdout.writeEnd, stderr.readEnd, stderr.writeEnd])
            instances[instanceID]?.lastExit = "could not start: \(error)"
            log(state.identity, "\(instanceID) could not start: \(error)")
            if instances[instanceID]?.state == .starting { instances[instanceID] = nil }
            throw .sandboxFailed(instance: instanceID, detail: "\(error)")
        }
        // The sandbox has its own copies of the write ends, and its init holds the read ends.
        closeAll([devNull, stdout.writeEnd, stderr.writeEnd])
        await readOutput(of: instanceID, identity: state.identity, stdout: stdout.readEnd, stderr: stderr.readEnd)

        guard var current = instances[instanceID], current.state == .starting || current.state == .backingOff else {
            // Stopped while it was starting.
            _ = await sandbox.terminate(gracePeriod: .seconds(spec.stopTimeoutSeconds))
            return
        }
        current.record.sandboxID = sandboxID
        current.record.generation = generation
        current.record.pid = sandbox.pid
        current.record.address = sandbox.address
        current.record.startedAt = LogLine.now()
        current.state = .running
        current.sandbox = sandbox
        // A web instance is routed once its app accepts connections (``routeWhenAccepting``).
        current.accepting = spec.hosts.isEmpty
        instances[instanceID] = current
        do {
            try StateFile.write(current.record, to: instancePath(instanceID))
        } catch {
            logger.error("instance record not saved: live restore will not find it", metadata: ["error": "\(error)"])
        }
        log(state.identity, "\(instanceID) started (pid \(sandbox.pid), \(sandbox.address ?? "no address"))")
        watch(instanceID: instanceID, generation: generation, sandbox: sandbox)
        if !spec.hosts.isEmpty, let address = sandbox.address {
            routeWhenAccepting(instanceID: instanceID, generation: generation, host: address, port: spec.port)
        }
        publishRoutes()
    }

    /// Routes a web instance once its app accepts connections, so the edge never meets a port that is
    /// not open yet (a restarted instance, or one woken from sleep).
    func routeWhenAccepting(instanceID: String, generation: Int, host: String, port: Int) {
        let eventLoops = self.eventLoops
        Task {
            let accepting = await PortProbe.waitUntilAccepting(host: host, port: port, on: eventLoops) {
                await self.isCurrent(instanceID: instanceID, generation: generation)
            }
            guard accepting, isCurrent(instanceID: instanceID, generation: generation) else { return }
            instances[instanceID]?.accepting = true
            publishRoutes()
        }
    }

    /// Whether `generation` of the instance is still the one running.
    func isCurrent(instanceID: String, generation: Int) -> Bool {
        guard let instance = instances[instanceID] else { return false }
        return instance.record.generation == generation && instance.state == .running
    }

    /// Lines from the instance's pipes go to the deployment's log. Takes ownership of both fds.
    func readOutput(of instanceID: String, identity: DeploymentIdentity, stdout: Int32, stderr: Int32) async {
        let logs = self.logs
        for (fd, stream) in [(stdout, LogLine.Stream.stdout), (stderr, .stderr)] {
            do {
                try await LineReader.start(fd: fd, on: eventLoops) { line in
                    logs.append(line, stream: stream, instance: instanceID, deployment: identity)
                }
            } catch {
                close(fd)
                logger.error("cannot read an instance's output", metadata: ["instance": "\(instanceID)", "error": "\(error)"])
            }
        }
    }

    func watch(instanceID: String, generation: Int, sandbox: RunningSandbox) {
        Task {
            let exit = await sandbox.waitForExit()
            self.exited(instanceID: instanceID, generation: generation, exit: exit)
        }
    }

    /// An instance's sandbox ended. Unless it was being stopped, that is a crash: restart it after a backoff.
    func exited(instanceID: String, generation: Int, exit: SandboxExit) {
        guard var instance = instances[instanceID], instance.record.generation == generation else { return }
        StateFile.remove(instancePath(instanceID))
        instance.sandbox = nil
        instance.lastExit = exit.description
        guard let state = deployments[instance.record.deploymentID], state.releases[instance.record.releaseID] != nil,
              instance.state == .running else {
            instances[instanceID] = instance.state == .stopping ? instance : nil
            publishRoutes()
            return
        }
        instances[instanceID] = instance
        scheduleRestart(instanceID: instanceID, after: generation, reason: exit.description)
    }

    /// Backs off 1 s, 2 s, 4 s, ... (from 1 s again after a stable run), then starts the next generation.
    func scheduleRestart(instanceID: String, after generation: Int, reason: String) {
        guard var instance = instances[instanceID], let identity = deployments[instance.record.deploymentID]?.identity else { return }
        let ranMicroseconds = LogLine.now() - instance.record.startedAt
        let restarts = (ranMicroseconds >= Int64(settings.stableRunSeconds) * 1_000_000 ? 0 : instance.record.restarts) + 1
        let delay = settings.backoff(restart: restarts)
        instance.record.restarts = restarts
        instance.record.generation = generation
        instance.state = .backingOff
        instances[instanceID] = instance
        log(identity, "\(instanceID) \(reason); restarting in \(delay) s (restart \(restarts))")
        publishRoutes()
        Task {
            try? await Task.sleep(for: .seconds(delay))
            await self.restart(instanceID: instanceID, generation: generation + 1)
        }
    }

    func restart(instanceID: String, generation: Int) async {
        guard let instance = instances[instanceID], instance.state == .backingOff,
              instance.record.generation == generation - 1 else { return }
        do {
            try await launch(instanceID: instanceID, generation: generation)
        } catch {
            // A failed start counts like a crash, so it backs off too.
            instances[instanceID]?.record.startedAt = LogLine.now()
            scheduleRestart(instanceID: instanceID, after: generation, reason: "could not start: \(error)")
        }
    }

    /// Stops instances concurrently: SIGTERM, then SIGKILL after their release's stop timeout.
    func terminate(_ ids: [String]) async -> [InstanceStatus] {
        var stopping: [(String, RunningSandbox?, Int)] = []
        for id in ids {
            guard var instance = instances[id] else { continue }
            instance.state = .stopping
            instances[id] = instance
            let timeout = deployments[instance.record.deploymentID]?.releases[instance.record.releaseID]?.stopTimeoutSeconds
                ?? settings.stopTimeoutSeconds
            stopping.append((id, instance.sandbox, timeout))
        }
        publishRoutes()
        await withTaskGroup(of: Void.self) { group in
            for (_, sandbox, timeout) in stopping {
                guard let sandbox else { continue }
                group.addTask { _ = await sandbox.terminate(gracePeriod: .seconds(timeout)) }
            }
        }
        var stopped: [InstanceStatus] = []
        for (id, _, _) in stopping {
            guard var instance = instances.removeValue(forKey: id) else { continue }
            StateFile.remove(instancePath(id))
            instance.state = .stopped
            instance.sandbox = nil
            stopped.append(instance.status())
            if let identity = deployments[instance.record.deploymentID]?.identity {
                log(identity, "\(id) stopped")
            }
        }
        return stopped
    }

    func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { close(fd) }
    }
}
