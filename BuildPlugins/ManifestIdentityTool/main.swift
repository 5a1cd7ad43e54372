// The tool the ManifestIdentity build plugin runs: plugin.json in, Swift source out.
// A manifest whose identity is missing or malformed fails the build, naming the file and field.
import Foundation

let usage = """
    usage: ManifestIdentityTool <plugin.json> <output.swift>
    Reads the plugin's name, version and role from its manifest and writes `enum ManifestIdentity`
    declaring them, so the plugin's Swift type never repeats them. SwiftPM runs it for targets that
    use the ManifestIdentity build plugin; there is no need to run it by hand.

    """

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data(message.utf8))
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2 else { fail(usage, status: 64) }  // EX_USAGE
do {
    let identity = try PluginIdentity(manifestAt: arguments[0])
    try IdentitySource(identity).write(to: arguments[1])
} catch {
    fail("\(error)\n", status: 1)
}
