import ArgumentParser
import Foundation
import PluginHost

/// Where the sandbox policy comes from, and the explicit way to run without it.
struct SandboxOptions: ParsableArguments {
    @Option(
        name: .customLong("sandbox-policy"),
        help:
            "Directory with sandbox-policy.json and its seccomp allow-list (default: $FEATURE_EXTRACTOR_POLICY, else Policies/ beside the executable)."
    )
    var policyDirectory: String?

    @Flag(
        name: .customLong("no-sandbox"),
        help: "Run plugins without any confinement. Only for trusted plugins and measurements; a warning is printed.")
    var noSandbox = false

    /// The settings to run plugins with, or nil when the operator turned the sandbox off.
    func settings() throws -> SandboxSettings? {
        if noSandbox {
            FileHandle.standardError.write(
                Data("feature-extractor: warning: plugins run WITHOUT the sandbox (--no-sandbox)\n".utf8))
            return nil
        }
        return try SandboxSettings.load(policyDirectory: Self.policyDirectory(policyDirectory))
    }

    static func policyDirectory(_ given: String?) -> String {
        if let given { return given }
        if let env = ProcessInfo.processInfo.environment["FEATURE_EXTRACTOR_POLICY"], !env.isEmpty { return env }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("Policies").path
    }
}
