import Foundation
import PomegranateRPC

extension DeploymentIdentity {
    init(projectID: String, projectName: String, deploymentID: String, deploymentName: String, validating: Void) throws(PomegranateError) {
        self.init(projectID: try RequestValidation.uuid("project_id", projectID),
                  projectName: try RequestValidation.label("project_name", projectName),
                  deploymentID: try RequestValidation.uuid("deployment_id", deploymentID),
                  deploymentName: try RequestValidation.label("deployment_name", deploymentName))
    }
}

extension ReleaseSpec {
    init(_ request: Paastech_Pomegranate_V1_DeployRequest, defaultStopTimeout: Int) throws(PomegranateError) {
        self.init(
            releaseID: try RequestValidation.name("release_id", request.releaseID),
            releaseDirectory: try RequestValidation.directory("release_directory", request.releaseDirectory),
            dataDirectory: request.dataDirectory.isEmpty ? nil : try RequestValidation.directory("data_directory", request.dataDirectory),
            command: try RequestValidation.command("command", request.command),
            environment: try RequestValidation.environment("environment", request.environment),
            port: try RequestValidation.range("port", request.port, 1...65535),
            memoryBytes: request.limits.memoryBytes == 0 ? nil : request.limits.memoryBytes,
            cpu: request.limits.cpu <= 0 ? nil : request.limits.cpu,
            pids: request.limits.pids == 0 ? nil : Int(request.limits.pids),
            egress: request.egress,
            hosts: try RequestValidation.hosts("hosts", request.hosts),
            stopTimeoutSeconds: request.stopTimeoutSeconds == 0
                ? defaultStopTimeout : try RequestValidation.range("stop_timeout_seconds", request.stopTimeoutSeconds, 1...3600),
            instances: try RequestValidation.range("instances", request.instances, 0...64),
            sleepAfterSeconds: request.sleepAfterSeconds == 0
                ? nil : try RequestValidation.range("sleep_after_seconds", request.sleepAfterSeconds, 1...30 * 86400),
            maxBodyBytes: request.maxBodyBytes == 0 ? nil : request.maxBodyBytes)
        if sleepAfterSeconds != nil, hosts.isEmpty {
            throw .invalidArgument(field: "sleep_after_seconds", problem: "only a deployment with hosts can sleep: requests wake it")
        }
        if let memory = memoryBytes, memory < 16 << 20 {
            throw .invalidArgument(field: "limits.memory_bytes", problem: "at least 16 MiB, got \(memory) bytes")
        }
    }
}

extension Paastech_Pomegranate_V1_Instance {
    init(_ status: InstanceStatus) {
        self.init()
        id = status.id
        deploymentID = status.deploymentID
        releaseID = status.releaseID
        state = switch status.state {
        case .starting: .starting
        case .running: .running
        case .backingOff: .backingOff
        case .stopping: .stopping
        case .stopped: .stopped
        }
        pid = status.pid ?? 0
        address = status.address ?? ""
        restarts = UInt32(clamping: status.restarts)
        startedAtUnixMs = status.startedAt / 1000
        lastExit = status.lastExit ?? ""
    }
}

extension Paastech_Pomegranate_V1_DeploymentStatus {
    init(_ status: DeploymentStatus) {
        self.init()
        projectID = status.identity.projectID
        projectName = status.identity.projectName
        deploymentID = status.identity.deploymentID
        deploymentName = status.identity.deploymentName
        servingReleaseID = status.servingReleaseID ?? ""
        desiredInstances = UInt32(clamping: status.desiredInstances)
        hosts = status.hosts
        instances = status.instances.map(Paastech_Pomegranate_V1_Instance.init)
        asleep = status.asleep
        sleepAfterSeconds = UInt32(clamping: status.sleepAfterSeconds ?? 0)
    }
}

extension Paastech_Pomegranate_V1_RouteTable {
    init(_ table: RouteTable) {
        self.init()
        version = table.version
        routes = table.routes.map { route in
            var message = Paastech_Pomegranate_V1_Route()
            message.host = route.host
            message.projectID = route.projectID
            message.deploymentID = route.deploymentID
            message.releaseID = route.releaseID
            message.backends = route.backends
            message.sleepAfterSeconds = UInt32(clamping: route.sleepAfterSeconds ?? 0)
            message.asleep = route.asleep
            message.maxBodyBytes = route.maxBodyBytes ?? 0
            return message
        }
    }
}

extension Paastech_Pomegranate_V1_LogLine {
    init(_ line: LogLine) {
        self.init()
        timestampUnixUs = line.timestamp
        instanceID = line.instance
        stream = line.stream.rawValue
        text = line.text
    }
}
