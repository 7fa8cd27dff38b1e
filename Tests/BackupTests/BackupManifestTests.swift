import Foundation
import PlatformConfig
import Testing

@testable import Backup

@Suite("The backup manifest: what a restore accepts")
struct BackupManifestTests {
    func manifest(format: Int = BackupManifest.currentFormatVersion, platform: String = PlatformVersion.current,
                  schema: Int = 2) -> BackupManifest {
        BackupManifest(formatVersion: format, platformVersion: platform, schemaVersion: schema, createdAt: "2026-01-02T03:04:05Z",
                       host: "a.example", stateDirectory: "/var/lib/paastech",
                       directories: [.init(name: "repos", path: "/var/lib/paastech/repos")])
    }

    @Test func theSameVersionsAndOlderOnesAreRestorable() throws {
        try manifest().checkRestorable(platformVersion: PlatformVersion.current, schemaVersion: 2)
        try manifest(platform: "0.0.9", schema: 1).checkRestorable(platformVersion: "0.1.0", schemaVersion: 2)
    }

    @Test func anUnknownFormatVersionIsRefused() throws {
        #expect(throws: BackupError.unsupportedFormat(found: 2, supported: 1)) {
            try manifest(format: 2).checkRestorable(schemaVersion: 2)
        }
        let error = BackupError.unsupportedFormat(found: 2, supported: 1)
        #expect("\(error)".contains("format version is 2"), "\(error)")
        #expect(throws: BackupError.unsupportedFormat(found: 0, supported: 1)) {
            try manifest(format: 0).checkRestorable(schemaVersion: 2)
        }
    }

    @Test func aBackupOfANewerPlatformIsRefused() throws {
        #expect(throws: BackupError.newerPlatform(archive: "0.2.0", running: "0.1.0")) {
            try manifest(platform: "0.2.0").checkRestorable(platformVersion: "0.1.0", schemaVersion: 2)
        }
        #expect(throws: BackupError.newerPlatform(archive: "0.10.0", running: "0.9.5")) {
            try manifest(platform: "0.10.0").checkRestorable(platformVersion: "0.9.5", schemaVersion: 2)
        }
        #expect("\(BackupError.newerPlatform(archive: "0.2.0", running: "0.1.0"))".contains("upgrade paastech on this host first"))
    }

    @Test func aNewerSchemaIsRefusedAnOlderOneIsMigrated() throws {
        #expect(throws: BackupError.newerSchema(archive: 3, running: 2)) {
            try manifest(schema: 3).checkRestorable(schemaVersion: 2)
        }
        try manifest(schema: 1).checkRestorable(schemaVersion: 2)
    }

    @Test func versionsCompareNumberByNumber() {
        #expect(BackupManifest.isVersion("0.10.0", newerThan: "0.9.9"))
        #expect(BackupManifest.isVersion("1.0", newerThan: "0.99.99"))
        #expect(BackupManifest.isVersion("0.1.1", newerThan: "0.1"))
        #expect(!BackupManifest.isVersion("0.1.0", newerThan: "0.1"))
        #expect(!BackupManifest.isVersion("0.1.0~rc1", newerThan: "0.1.0"))
        #expect(!BackupManifest.isVersion("0.1.0", newerThan: "0.1.0"))
    }

    @Test func theManifestRoundTripsWithSnakeCaseKeys() throws {
        let original = manifest()
        let data = try original.encoded()
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"format_version\" : 1", "\"platform_version\"", "\"schema_version\" : 2", "\"created_at\"", "\"database\" : \"database.dump\""] {
            #expect(text.contains(key), "\(key) missing in \(text)")
        }
        #expect(try BackupManifest.decode(Array(data), archive: "x.tar") == original)
        let error = #expect(throws: BackupError.self) { try BackupManifest.decode(Array("{}".utf8), archive: "x.tar") }
        #expect(error.map { "\($0)" }?.hasPrefix("x.tar is not a paastech backup: its manifest.json cannot be read") == true, "\(String(describing: error))")
    }
}

@Suite("Before a restore changes anything")
struct RestorePreflightTests {
    /// A restore needs Pomegranate to run the apps again: without it, it stops at once, saying so.
    @Test(.timeLimit(.minutes(1)))
    func aMissingPomegranateIsReportedNotWaitedFor() async throws {
        let socket = "/tmp/paastech-no-pomegranate-\(UUID().uuidString.prefix(8)).sock"
        let error = await #expect(throws: BackupError.self) { try await RestoreAgent(socket: socket).runningDeployments() }
        #expect(error.map { "\($0)" }?.contains("Pomegranate does not answer on \(socket)") == true, "\(String(describing: error))")
        #expect(error.map { "\($0)" }?.contains("start the platform first") == true)
    }
}
