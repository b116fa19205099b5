import Foundation
import PackagePlugin

/// Embeds the web app's templates (`Web/Templates/*.mustache`, as `webTemplates`) and static files
/// (`Web/Static/*`, as `webStaticFiles`) into the target as Swift source, by `FileEmbedder`, so
/// `haven serve` renders and serves them from the binary alone (docs/web.md).
@main
struct EmbedWebAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let web = target.directoryURL.appending(path: "Web")
        let tool = try context.tool(named: "FileEmbedder").url
        return try [("Templates", "webTemplates"), ("Static", "webStaticFiles")].map { folder, name in
            let files = try FileManager.default.contentsOfDirectory(
                at: web.appending(path: folder),
                includingPropertiesForKeys: nil
            )
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWeb\(folder).swift")
            return .buildCommand(
                displayName: "Embedding Web/\(folder)",
                executable: tool,
                arguments: [output.path, "--files", name] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            )
        }
    }
}
