import Foundation
import PackagePlugin

/// Embeds every file under a target's `Embedded/` folder into the binary as a Swift
/// string table (`EmbeddedFiles.contents["migrations/0001_initial.sql"]`), so the single
/// `paastech` binary carries its SQL migrations, OpenAPI document and templates.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = target.directoryURL.appendingPathComponent("Embedded")
        let inputs = try files(under: root)
        guard !inputs.isEmpty else { return [] }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(inputs.count) files into \(target.name)",
            executable: try context.tool(named: "embed-files").url,
            arguments: [root.path, output.path] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output])]
    }

    private func files(under root: URL) throws -> [URL] {
        let manager = FileManager.default
        guard let paths = try? manager.subpathsOfDirectory(atPath: root.path) else { return [] }
        return paths.sorted().map { root.appendingPathComponent($0) }.filter { url in
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
