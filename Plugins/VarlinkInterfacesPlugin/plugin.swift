import Foundation
import PackagePlugin

/// Embeds a target's `.varlink` interface definitions as Swift string constants.
///
/// For every `*.varlink` file of the target it generates one constant on `VarlinkInterfaces`
/// (`io.nox.Auth.varlink` becomes `VarlinkInterfaces.ioNoxAuth`), so a daemon serves the exact
/// text of the file from its static binary without a resource bundle at run time.
@main
struct VarlinkInterfacesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        guard let module = target as? any SourceModuleTarget else { return [] }
        let inputs = module.sourceFiles(withSuffix: "varlink").map(\.url).sorted { $0.path < $1.path }
        guard !inputs.isEmpty else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "VarlinkInterfaces.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) Varlink interface definition(s) of \(module.name)",
                executable: try context.tool(named: "VarlinkEmbedTool").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
