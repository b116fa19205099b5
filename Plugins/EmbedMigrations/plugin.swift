import Foundation
import PackagePlugin

/// Embeds every `sql/migrations/*.sql` file into the target as Swift source
/// (`embeddedMigrationFiles`, by `FileEmbedder`), so the `haven` binary carries its migrations and
/// works from any directory, even copied alone. `sql/` stays the only place migrations are written.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) SQL migrations",
                executable: try context.tool(named: "FileEmbedder").url,
                arguments: [output.path, "--files", "embeddedMigrationFiles"] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
