import Foundation
import GRPCCore
import PomegranateRPC
import ServiceLifecycle

/// The gRPC face of the supervisor: validates each request, calls the supervisor, and turns its
/// errors into gRPC status codes with the message intact. It answers every one of pomegranate's
/// services (``rpcServices``, one per concern).
public struct PomegranateService: Sendable {
    let supervisor: Supervisor
    let settings: SupervisorSettings

    public init(supervisor: Supervisor, settings: SupervisorSettings) {
        self.supervisor = supervisor
        self.settings = settings
    }

    public func startBuild(request: Paastech_Pomegranate_V1_BuildRequest, response: RPCWriter<Paastech_Pomegranate_V1_BuildEvent>,
                           context: ServerContext) async throws {
        let build = try Self.mapped {
            BuildRequest(
                identity: try DeploymentIdentity(projectID: request.projectID, projectName: request.projectName,
                                                 deploymentID: request.deploymentID, deploymentName: request.deploymentName, validating: ()),
                buildID: try RequestValidation.name("build_id", request.buildID),
                sourceDirectory: try RequestValidation.directory("source_directory", request.sourceDirectory),
                cacheDirectory: request.cacheDirectory.isEmpty ? nil : try RequestValidation.directory("cache_directory", request.cacheDirectory),
                command: try RequestValidation.command("command", request.command),
                environment: try RequestValidation.environment("environment", request.environment),
                memoryBytes: request.limits.memoryBytes == 0 ? nil : request.limits.memoryBytes,
                cpu: request.limits.cpu <= 0 ? nil : request.limits.cpu,
                timeoutSeconds: request.timeoutSeconds == 0 ? nil : Int(request.timeoutSeconds))
        }
        for await event in supervisor.build(build) {
            var message = Paastech_Pomegranate_V1_BuildEvent()
            switch event {
            case .output(let line):
                message.output = Data((line + "\n").utf8)
            case .finished(let result):
                var rpcResult = Paastech_Pomegranate_V1_BuildResult()
                rpcResult.exitStatus = result.exitStatus ?? -1
                rpcResult.oomKilled = result.oomKilled
                rpcResult.timedOut = result.timedOut
                rpcResult.message = result.message
                message.result = rpcResult
            }
            try await response.write(message)
        }
    }

    public func deploy(request: Paastech_Pomegranate_V1_DeployRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_DeployResponse {
        let identity = try Self.mapped {
            try DeploymentIdentity(projectID: request.projectID, projectName: request.projectName,
                                   deploymentID: request.deploymentID, deploymentName: request.deploymentName, validating: ())
        }
        let spec = try Self.mapped { try ReleaseSpec(request, defaultStopTimeout: settings.stopTimeoutSeconds) }
        let instances = try await Self.mapped { try await supervisor.deploy(identity, spec) }
        var response = Paastech_Pomegranate_V1_DeployResponse()
        response.instances = instances.map(Paastech_Pomegranate_V1_Instance.init)
        return response
    }

    public func promote(request: Paastech_Pomegranate_V1_PromoteRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_PromoteResponse {
        let (deploymentID, releaseID) = try Self.mapped {
            (try RequestValidation.uuid("deployment_id", request.deploymentID), try RequestValidation.name("release_id", request.releaseID))
        }
        let retired = try await Self.mapped { try await supervisor.promote(deploymentID: deploymentID, releaseID: releaseID) }
        var response = Paastech_Pomegranate_V1_PromoteResponse()
        response.retired = retired.map(Paastech_Pomegranate_V1_Instance.init)
        return response
    }

    public func stop(request: Paastech_Pomegranate_V1_StopRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_StopResponse {
        let (deploymentID, releaseID) = try Self.mapped {
            (try RequestValidation.uuid("deployment_id", request.deploymentID),
             request.releaseID.isEmpty ? nil : try RequestValidation.name("release_id", request.releaseID))
        }
        var response = Paastech_Pomegranate_V1_StopResponse()
        response.stopped = await supervisor.stop(deploymentID: deploymentID, releaseID: releaseID).map(Paastech_Pomegranate_V1_Instance.init)
        return response
    }

    public func removeBuilds(request: Paastech_Pomegranate_V1_RemoveBuildsRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_RemoveBuildsResponse {
        let deploymentID = try Self.mapped { try RequestValidation.uuid("deployment_id", request.deploymentID) }
        var response = Paastech_Pomegranate_V1_RemoveBuildsResponse()
        response.removed = try await Self.mapped { try await supervisor.removeBuilds(deploymentID: deploymentID, builds: request.builds) }
        return response
    }

    public func scale(request: Paastech_Pomegranate_V1_ScaleRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_ScaleResponse {
        let (deploymentID, count) = try Self.mapped {
            (try RequestValidation.uuid("deployment_id", request.deploymentID), try RequestValidation.range("instances", request.instances, 0...64))
        }
        let instances = try await Self.mapped { try await supervisor.scale(deploymentID: deploymentID, instances: count) }
        var response = Paastech_Pomegranate_V1_ScaleResponse()
        response.instances = instances.map(Paastech_Pomegranate_V1_Instance.init)
        return response
    }

    public func status(request: Paastech_Pomegranate_V1_StatusRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_StatusResponse {
        let deploymentID = try Self.mapped {
            request.deploymentID.isEmpty ? nil : try RequestValidation.uuid("deployment_id", request.deploymentID)
        }
        var response = Paastech_Pomegranate_V1_StatusResponse()
        response.deployments = await supervisor.status(deploymentID: deploymentID).map(Paastech_Pomegranate_V1_DeploymentStatus.init)
        return response
    }

    public func wake(request: Paastech_Pomegranate_V1_WakeRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_WakeResponse {
        let deploymentID = try Self.mapped { try RequestValidation.uuid("deployment_id", request.deploymentID) }
        var response = Paastech_Pomegranate_V1_WakeResponse()
        response.wasAsleep = try await Self.mapped { try await supervisor.wake(deploymentID: deploymentID) }
        return response
    }

    public func reportActivity(request: Paastech_Pomegranate_V1_ActivityReport, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_ActivityResponse {
        let ids = try Self.mapped { try request.deploymentIds.map { try RequestValidation.uuid("deployment_ids", $0) } }
        await supervisor.reportActivity(deploymentIDs: ids)
        return Paastech_Pomegranate_V1_ActivityResponse()
    }

    public func usage(request: Paastech_Pomegranate_V1_UsageRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_UsageResponse {
        let deploymentID = try Self.mapped { try RequestValidation.uuid("deployment_id", request.deploymentID) }
        var response = Paastech_Pomegranate_V1_UsageResponse()
        response.minutes = await supervisor.usage(deploymentID: deploymentID).map { minute in
            var message = Paastech_Pomegranate_V1_UsageMinute()
            message.startUnix = minute.start
            message.memoryBytes = minute.memoryBytes
            message.cpuSeconds = minute.cpuSeconds
            return message
        }
        return response
    }

    public func logs(request: Paastech_Pomegranate_V1_LogsRequest, response: RPCWriter<Paastech_Pomegranate_V1_LogLine>,
                     context: ServerContext) async throws {
        let deploymentID = try Self.mapped { try RequestValidation.uuid("deployment_id", request.deploymentID) }
        let lines = supervisor.logs.lines(deploymentID: deploymentID, instance: request.instanceID.isEmpty ? nil : request.instanceID,
                                          tail: Int(request.tail), follow: request.follow)
        // A followed log never ends by itself: it ends when pomegranate stops, so the stop does not wait
        // for the caller (the edge and the console follow for hours).
        try await cancelWhenGracefulShutdown {
            for await line in lines {
                try await response.write(Paastech_Pomegranate_V1_LogLine(line))
            }
        }
    }

    public func watchRoutes(request: Paastech_Pomegranate_V1_WatchRoutesRequest, response: RPCWriter<Paastech_Pomegranate_V1_RouteTable>,
                            context: ServerContext) async throws {
        let tables = await supervisor.watchRoutes()
        try await cancelWhenGracefulShutdown {
            for await table in tables {
                try await response.write(Paastech_Pomegranate_V1_RouteTable(table))
            }
        }
    }

    /// Runs `body`, turning a ``PomegranateError`` into the matching gRPC status.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PomegranateError {
            throw RPCError(code: error.statusCode, message: error.description)
        }
    }

    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PomegranateError {
            throw RPCError(code: error.statusCode, message: error.description)
        }
    }
}

extension PomegranateError {
    var statusCode: RPCError.Code {
        switch self {
        case .invalidArgument: .invalidArgument
        case .unknownDeployment, .unknownRelease, .unknownInstance: .notFound
        case .noRunningInstance: .failedPrecondition
        case .uidRangeExhausted: .resourceExhausted
        case .stateFile, .logFile, .sandboxFailed: .internalError
        }
    }
}
