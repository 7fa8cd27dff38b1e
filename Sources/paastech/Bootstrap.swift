import Logging
import PlatformConfig
import Postgres
import Systemd

/// Start-up steps shared by the subcommands.
enum Bootstrap {
    /// Journald under systemd, stderr otherwise.
    static func logging(identifier: String, configuration: PlatformConfiguration) -> Logger {
        LoggingSystemSetup.bootstrap(identifier: identifier, level: configuration.log.level.loggerLevel)
        return Logger(label: identifier)
    }

    static func database(_ configuration: PlatformConfiguration, logger: Logger) -> PostgresClient {
        let settings = configuration.database
        var postgres = settings.connectionInfo.isEmpty
            ? PostgresConfiguration.unixSocket()
            : PostgresConfiguration(conninfo: settings.connectionInfo, poolSize: settings.poolSize)
        postgres.poolSize = settings.poolSize
        postgres.applicationName = settings.applicationName
        return PostgresClient(configuration: postgres, logger: logger)
    }
}

extension PlatformConfiguration.Log.Level {
    var loggerLevel: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
