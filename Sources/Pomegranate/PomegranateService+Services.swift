import GRPCCore
import PomegranateRPC

extension PomegranateService {
    /// The services pomegranate serves on its socket, one per concern (Protos/paastech/pomegranate/), each
    /// handing its calls to this service.
    public var rpcServices: [any RegistrableRPCService] {
        [BuildsService(core: self), ReleasesService(core: self), InstancesService(core: self), SleepService(core: self), ResourceUsageService(core: self), LogsService(core: self),
         SessionsService(core: self), RoutesService(core: self)]
    }
}

struct BuildsService: Paastech_Pomegranate_V1_Builds.SimpleServiceProtocol {
    let core: PomegranateService

    func startBuild(request: Paastech_Pomegranate_V1_BuildRequest, response: RPCWriter<Paastech_Pomegranate_V1_BuildEvent>,
                    context: ServerContext) async throws {
        try await core.startBuild(request: request, response: response, context: context)
    }

    func removeBuilds(request: Paastech_Pomegranate_V1_RemoveBuildsRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_RemoveBuildsResponse {
        try await core.removeBuilds(request: request, context: context)
    }
}

struct ReleasesService: Paastech_Pomegranate_V1_Releases.SimpleServiceProtocol {
    let core: PomegranateService

    func deploy(request: Paastech_Pomegranate_V1_DeployRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_DeployResponse {
        try await core.deploy(request: request, context: context)
    }

    func promote(request: Paastech_Pomegranate_V1_PromoteRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_PromoteResponse {
        try await core.promote(request: request, context: context)
    }

    func stop(request: Paastech_Pomegranate_V1_StopRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_StopResponse {
        try await core.stop(request: request, context: context)
    }
}

struct InstancesService: Paastech_Pomegranate_V1_Instances.SimpleServiceProtocol {
    let core: PomegranateService

    func scale(request: Paastech_Pomegranate_V1_ScaleRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_ScaleResponse {
        try await core.scale(request: request, context: context)
    }

    func status(request: Paastech_Pomegranate_V1_StatusRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_StatusResponse {
        try await core.status(request: request, context: context)
    }

}

struct SleepService: Paastech_Pomegranate_V1_Sleep.SimpleServiceProtocol {
    let core: PomegranateService

    func wake(request: Paastech_Pomegranate_V1_WakeRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_WakeResponse {
        try await core.wake(request: request, context: context)
    }

    func reportActivity(request: Paastech_Pomegranate_V1_ActivityReport, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_ActivityResponse {
        try await core.reportActivity(request: request, context: context)
    }
}

struct ResourceUsageService: Paastech_Pomegranate_V1_ResourceUsage.SimpleServiceProtocol {
    let core: PomegranateService

    func usage(request: Paastech_Pomegranate_V1_UsageRequest, context: ServerContext) async throws
        -> Paastech_Pomegranate_V1_UsageResponse {
        try await core.usage(request: request, context: context)
    }
}

struct LogsService: Paastech_Pomegranate_V1_Logs.SimpleServiceProtocol {
    let core: PomegranateService

    func logs(request: Paastech_Pomegranate_V1_LogsRequest, response: RPCWriter<Paastech_Pomegranate_V1_LogLine>,
              context: ServerContext) async throws {
        try await core.logs(request: request, response: response, context: context)
    }
}

struct SessionsService: Paastech_Pomegranate_V1_Sessions.SimpleServiceProtocol {
    let core: PomegranateService

    func run(request: RPCAsyncSequence<Paastech_Pomegranate_V1_RunInput, any Error>,
             response: RPCWriter<Paastech_Pomegranate_V1_RunOutput>, context: ServerContext) async throws {
        try await core.run(request: request, response: response, context: context)
    }
}

struct RoutesService: Paastech_Pomegranate_V1_Routes.SimpleServiceProtocol {
    let core: PomegranateService

    func watchRoutes(request: Paastech_Pomegranate_V1_WatchRoutesRequest, response: RPCWriter<Paastech_Pomegranate_V1_RouteTable>,
                     context: ServerContext) async throws {
        try await core.watchRoutes(request: request, response: response, context: context)
    }
}
