import Foundation
import PlatformConfig

/// `manifest.json`, the first member of a backup archive: what made it, when, and what is inside.
///
/// ```
/// manifest.json     this
/// database.dump     pg_dump --format=custom of the platform's database
/// repos/ releases/ logs/ edge/ git/    the state directory's (PlatformConfiguration.Paths.backedUpDirectories)
/// ```
public struct BackupManifest: Codable, Sendable, Equatable {
    /// The layout of the archive this binary writes and reads.
    public static let currentFormatVersion = 1
    /// The manifest's name in the archive.
    public static let fileName = "manifest.json"
    /// The database dump's name in the archive.
    public static let databaseFileName = "database.dump"

    /// One directory of the state directory, archived under ``name``.
    public struct Directory: Codable, Sendable, Equatable {
        /// Its path relative to the state directory, and its name in the archive: `repos`, `releases`, ...
        public var name: String
        /// Where it was on the platform backed up (release descriptions and build logs recorded absolute paths).
        public var path: String

        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }
    }

    public var formatVersion: Int
    /// `PlatformVersion.current` of the paastech that made it.
    public var platformVersion: String
    /// The database's schema version (the newest migration applied) when it was dumped.
    public var schemaVersion: Int
    /// When the database snapshot was taken, ISO 8601 in UTC.
    public var createdAt: String
    /// The host name of the platform backed up.
    public var host: String
    /// `[paths] state_dir` of the platform backed up.
    public var stateDirectory: String
    /// ``databaseFileName``: pg_dump's custom format.
    public var database: String
    /// The state directories inside, in archive order.
    public var directories: [Directory]

    public init(formatVersion: Int = Self.currentFormatVersion, platformVersion: String = PlatformVersion.current, schemaVersion: Int,
                createdAt: String, host: String, stateDirectory: String, database: String = Self.databaseFileName,
                directories: [Directory]) {
        self.formatVersion = formatVersion
        self.platformVersion = platformVersion
        self.schemaVersion = schemaVersion
        self.createdAt = createdAt
        self.host = host
        self.stateDirectory = stateDirectory
        self.database = database
        self.directories = directories
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", platformVersion = "platform_version", schemaVersion = "schema_version",
             createdAt = "created_at", host, stateDirectory = "state_directory", database, directories
    }

    /// Refuses what this binary cannot restore: another archive format, a backup of a newer paastech or of a
    /// newer database schema. An older schema is fine: the restore migrates it.
    /// - Parameters:
    ///   - platformVersion: The restoring paastech's version.
    ///   - schemaVersion: The newest schema version the restoring paastech knows.
    public func checkRestorable(platformVersion: String = PlatformVersion.current, schemaVersion: Int) throws(BackupError) {
        guard formatVersion == Self.currentFormatVersion else {
            throw .unsupportedFormat(found: formatVersion, supported: Self.currentFormatVersion)
        }
        guard !Self.isVersion(self.platformVersion, newerThan: platformVersion) else {
            throw .newerPlatform(archive: self.platformVersion, running: platformVersion)
        }
        guard self.schemaVersion <= schemaVersion else {
            throw .newerSchema(archive: self.schemaVersion, running: schemaVersion)
        }
    }

    /// Compares dotted versions number by number (`0.10.0` is newer than `0.9.2`); each part counts by its
    /// leading digits (`1~rc1` as 1), a missing part as 0.
    static func isVersion(_ version: String, newerThan other: String) -> Bool {
        func numbers(_ text: String) -> [Int] {
            text.split(separator: ".").map { Int($0.prefix { $0.isASCII && $0.isNumber }) ?? 0 }
        }
        let (left, right) = (numbers(version), numbers(other))
        for index in 0..<max(left.count, right.count) {
            let (a, b) = (index < left.count ? left[index] : 0, index < right.count ? right[index] : 0)
            if a != b { return a > b }
        }
        return false
    }

    /// The manifest as written into the archive.
    func encoded() throws(BackupError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            return try encoder.encode(self)
        } catch {
            throw .file("encode the manifest", "\(error)")
        }
    }

    /// Reads a manifest taken out of the archive at `path`.
    static func decode(_ data: [UInt8], archive path: String) throws(BackupError) -> BackupManifest {
        do {
            return try JSONDecoder().decode(BackupManifest.self, from: Data(data))
        } catch {
            throw .notABackup(path: path, detail: "its \(fileName) cannot be read (\(error))")
        }
    }
}
