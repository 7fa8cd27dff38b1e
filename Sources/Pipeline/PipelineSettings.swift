import PlatformConfig

/// Where the pipeline puts things and how long it waits, from the platform configuration.
public struct PipelineSettings: Sendable {
    /// `<state>/releases/<deployment-uuid>/v<N>/`: immutable once built.
    public var releasesDirectory: String
    /// `<state>/cache/<project-uuid>/<deployment>/`: kept between builds, mounted at /data in the build.
    public var cacheDirectory: String
    /// `<state>/releases/.incoming/`: checkouts being prepared.
    public var buildsDirectory: String
    public var pomegranateSocket: String
    public var appsDomain: String
    /// How the edge serves apps (scheme and public ports), for the URL printed last.
    public var edge = PlatformConfiguration.Edge()
    public var healthCheckTimeout: Duration = .seconds(30)
    /// A worker is healthy once it has stayed up this long.
    public var workerSettleTime: Duration = .seconds(5)
    public var buildTimeoutSeconds = 0
    /// Releases kept per deployment besides the serving one and the one before it.
    public var releasesKept = 5

    public init(releasesDirectory: String, cacheDirectory: String, buildsDirectory: String, pomegranateSocket: String, appsDomain: String) {
        self.releasesDirectory = releasesDirectory
        self.cacheDirectory = cacheDirectory
        self.buildsDirectory = buildsDirectory
        self.pomegranateSocket = pomegranateSocket
        self.appsDomain = appsDomain
    }

    public init(_ configuration: PlatformConfiguration) {
        self.init(releasesDirectory: configuration.paths.releasesDirectory, cacheDirectory: configuration.paths.cacheDirectory,
                  buildsDirectory: configuration.paths.incomingBuildsDirectory,
                  pomegranateSocket: configuration.paths.pomegranateSocket, appsDomain: configuration.platform.appsDomain)
        releasesKept = configuration.platform.releasesKept
        edge = configuration.edge
    }

    /// `https://web.shop.apps.example.com`: what the pusher opens.
    func appURL(deployment: String, project: String) -> String {
        edge.url(host: "\(deployment).\(project).\(appsDomain)")
    }
}
