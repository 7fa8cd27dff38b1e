import Foundation
import Testing

@testable import PlatformConfig

/// README.md's configuration reference must list exactly the keys the code knows, with their real
/// defaults: its rows are read back as TOML and parsed by the configuration type.
@Suite struct ReadmeConfigurationReferenceTests {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md").path

    /// The rows `| `section.key` | `default` | meaning |` of the table, in order.
    static func rows() throws -> [(section: String, key: String, value: String)] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("`"), cells[1].hasSuffix("`"), cells[2].hasPrefix("`"), cells[2].hasSuffix("`")
            else { return nil }
            let name = cells[1].dropFirst().dropLast().split(separator: ".")
            guard name.count == 2, PlatformConfiguration.sections.contains(where: { $0.name == name[0] }) else { return nil }
            return (String(name[0]), String(name[1]), String(cells[2].dropFirst().dropLast()))
        }
    }

    @Test func itListsEveryKeyOnceAndNothingElse() throws {
        let listed = try Self.rows().map { "\($0.section).\($0.key)" }
        let known = PlatformConfiguration.sections.flatMap { section in section.keyNames.map { "\(section.name).\($0)" } }
        #expect(listed.count == Set(listed).count, "a key is listed twice")
        #expect(Set(listed) == Set(known))
    }

    @Test func itsDefaultsAreTheRealDefaults() throws {
        let rows = try Self.rows()
        #expect(!rows.isEmpty)
        var toml = ""
        for section in PlatformConfiguration.sections {
            toml += "[\(section.name)]\n"
            for row in rows where row.section == section.name { toml += "\(row.key) = \(row.value)\n" }
        }
        #expect(try PlatformConfiguration.parse(toml, file: Self.path) == PlatformConfiguration())
    }
}
