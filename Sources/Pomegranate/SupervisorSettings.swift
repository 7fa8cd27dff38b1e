import PlatformConfig

/// The knobs of supervision and builds, from `[pomegranate]`.
public struct SupervisorSettings: Sendable {
    public var uidRange: ClosedRange<Int> = 200_000...265_535
    public var readOnlyPaths: [String] = []
    public var logMaxBytes = 8 << 20
    public var stopTimeoutSeconds = 10
    public var restartBackoffMaxSeconds = 60
    /// A crashing instance that had run this long starts its backoff over from 1 s.
    public var stableRunSeconds = 30
    /// After switching routes, the least time before the old instances may stop: the edge picks up the new table.
    public var drainDelay: Duration = .seconds(1)
    /// After switching routes, the most time the old instances keep serving their open connections.
    public var drainTimeout: Duration = .seconds(60)
    public var instancePids = 512
    public var buildTimeoutSeconds = 1800
    public var buildMemoryBytes: UInt64 = 2048 << 20
    public var buildPids = 2048

    public init() {}

    public init(_ configuration: PlatformConfiguration.Pomegranate) {
        uidRange = configuration.uidRange
        readOnlyPaths = configuration.readOnlyPaths
        logMaxBytes = configuration.logMaxKiB * 1024
        stopTimeoutSeconds = configuration.stopTimeoutSeconds
        drainTimeout = .seconds(configuration.drainTimeoutSeconds)
        restartBackoffMaxSeconds = configuration.restartBackoffMaxSeconds
        instancePids = configuration.instancePids
        buildTimeoutSeconds = configuration.buildTimeoutSeconds
        buildMemoryBytes = UInt64(configuration.buildMemoryMiB) << 20
        buildPids = configuration.buildPids
    }

    /// 1 s, 2 s, 4 s, ... up to the maximum, for the n-th restart in a row (n >= 1).
    func backoff(restart: Int) -> Int {
        let exponent = min(max(restart - 1, 0), 20)
        return min(1 << exponent, restartBackoffMaxSeconds)
    }
}
