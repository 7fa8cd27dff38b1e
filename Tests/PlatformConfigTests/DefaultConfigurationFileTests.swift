import Foundation
import Testing

@testable import PlatformConfig

/// The shipped `etc/paastech.toml` must document exactly the keys the code knows, with their
/// real defaults.
@Suite struct DefaultConfigurationFileTests {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("etc/paastech.toml").path

    static func text() throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    /// Setting lines are written `#key = value` (no space after `#`); explanations `# text`.
    static func uncommented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("#"), let next = line.dropFirst().first, next.isLetter {
                return String(line.dropFirst())
            }
            return String(line)
        }.joined(separator: "\n")
    }

    @Test func parsesAsShippedToTheDefaults() throws {
        #expect(try PlatformConfiguration.parse(Self.text(), file: Self.path) == PlatformConfiguration())
    }

    @Test func itsStatedDefaultsAreTheRealDefaults() throws {
        let text = Self.uncommented(try Self.text())
        #expect(text != (try Self.text()))
        #expect(try PlatformConfiguration.parse(text, file: Self.path) == PlatformConfiguration())
    }

    @Test func itDocumentsEveryKeyAndNothingElse() throws {
        let locator = TOMLKeyLocator(Self.uncommented(try Self.text()))
        let documented = Set(locator.lines.keys.filter { $0.count == 2 })
        let known = Set(PlatformConfiguration.sections.flatMap { section in
            section.keyNames.map { [section.name, $0] }
        })
        #expect(documented == known)
    }

    /// Every stored property of every section is declared in its key table, so none can be
    /// missing from the file or impossible to configure.
    @Test func everyPropertyHasAKey() {
        let sections = Mirror(reflecting: PlatformConfiguration()).children
        #expect(sections.count == PlatformConfiguration.sections.count)
        for (section, binding) in zip(sections, PlatformConfiguration.sections) {
            let properties = Mirror(reflecting: section.value).children.count
            #expect(properties == binding.keyNames.count, "[\(binding.name)] (\(section.label ?? "?"))")
            #expect(properties > 0)
        }
    }
}
