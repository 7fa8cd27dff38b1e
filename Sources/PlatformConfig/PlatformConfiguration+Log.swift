extension PlatformConfiguration {
    /// `[log]`: logging.
    public struct Log: Sendable, Equatable {
        /// The log levels, with the same names as swift-log's `Logger.Level`
        /// (so `Logger.Level(rawValue: level.rawValue)` converts).
        public enum Level: String, Sendable, Equatable, CaseIterable {
            case trace, debug, info, notice, warning, error, critical
        }

        /// `level`: the least severe level that is logged.
        public var level = Level.info

        /// Creates the default log settings.
        public init() {}
    }
}

extension PlatformConfiguration.Log: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("level", \.level, .oneOf),
    ]
}
