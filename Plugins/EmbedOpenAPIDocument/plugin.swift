import Foundation
import PackagePlugin

/// Embeds `docs/openapi.yaml` into the target as Swift source (`openAPIDocumentYAML`, by
/// `FileEmbedder`), so `haven serve` answers `/openapi.yaml` from the binary alone. `docs/` stays
/// the only copy of the document.
@main
struct EmbedOpenAPIDocument: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let document = context.package.directoryURL.appending(path: "docs/openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedOpenAPIDocument.swift")
        return [
            .buildCommand(
                displayName: "Embedding docs/openapi.yaml",
                executable: try context.tool(named: "FileEmbedder").url,
                arguments: [output.path, "--text", "openAPIDocumentYAML", document.path],
                inputFiles: [document],
                outputFiles: [output]
            )
        ]
    }
}
