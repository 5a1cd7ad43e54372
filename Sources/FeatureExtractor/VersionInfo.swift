import Foundation
import PluginHost
import PluginProtocol

/// `feature-extractor --version`: the tool's version, the plugin protocol it speaks, and which
/// build is running (the SHA-256 of the executable, so two machines can tell whether they run the same bytes).
enum VersionInfo {
    static let tool = "1.0.0"

    /// What the argument parser knows (help, `--version` after other arguments): no digest, which costs a read.
    static let summary = "\(tool) (plugin protocol \(PluginProtocolVersion.current))"

    /// The running executable's SHA-256, first 12 hex digits (nil when it cannot be read).
    static func buildDigest(executable: String = "/proc/self/exe") -> String? {
        (try? FileDigest.sha256Hex(path: executable)).map { String($0.prefix(12)) }
    }

    static func text() -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return """
            feature-extractor \(tool)
            plugin protocol \(PluginProtocolVersion.current) (a plugin's declared range must include it; PluginKit declares \(ProtocolRange.current))
            build \(buildDigest() ?? "unknown") (SHA-256 of \(exe), first 12 hex digits)
            """
    }
}
