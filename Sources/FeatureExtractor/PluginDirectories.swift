import Foundation

/// Where plugins are looked for, first match wins:
/// `--plugins-dir` options, then `FEATURE_EXTRACTOR_PLUGINS` (colon-separated),
/// then `plugins/` beside the executable (where the set-up script installs the bundled ones).
enum PluginDirectories {
    static func resolve(_ given: [String]) -> [String] {
        var dirs = given
        if let env = ProcessInfo.processInfo.environment["FEATURE_EXTRACTOR_PLUGINS"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        dirs.append(exe.deletingLastPathComponent().appendingPathComponent("plugins").path)
        return dirs
    }
}
