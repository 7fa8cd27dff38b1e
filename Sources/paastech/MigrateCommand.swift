import ArgumentParser
import Store

/// `paastech migrate`: brings the schema up to this binary's version (also done at API start).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations.")

    @OptionGroup var config: ConfigurationOptions

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "paastech-migrate", configuration: configuration)
        let database = Bootstrap.database(configuration, logger: logger)
        defer { database.close() }
        let report = try await Migrator(database: database, logger: logger).migrate()
        if report.applied.isEmpty {
            print("schema is up to date (version \(report.currentVersion))")
        } else {
            print("migrated from version \(report.previousVersion) to \(report.currentVersion): applied \(report.applied.map(String.init).joined(separator: ", "))")
        }
    }
}
