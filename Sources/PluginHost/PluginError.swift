import FeatureExtractorSupport
import PluginProtocol

/// Everything that can go wrong with a plugin, worded for the person running the tool.
///
/// Plugin-supplied text (stderr, error messages) is sanitised before it is
/// put in here: it may hold terminal escapes or lies, never secrets of ours.
public enum PluginError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    /// `available`: the names of this role found in the directories searched.
    case notFound(name: String, role: PluginRole, searched: [String], available: [String] = [])
    case badManifest(String, String)
    case digestMismatch(path: String, expected: String, actual: String)
    case launchFailed(plugin: String, reason: String)
    /// The process ended (exit code or signal) while the coordinator was talking to it.
    case crashed(plugin: String, during: String, status: String, stderrTail: String)
    /// `detail` says why the limit was what it was and what the plugin was doing meanwhile.
    case timedOut(plugin: String, method: String, seconds: Double, detail: String)
    /// The plugin broke the protocol (bad frame, wrong id, invalid result, oversized message).
    case protocolViolation(plugin: String, during: String, reason: String)
    /// The plugin answered with a JSON-RPC error.
    case remoteError(plugin: String, method: String, error: RPCError)
    /// The plugin is not what the coordinator needs (role, version, shapes).
    case incompatible(plugin: String, reason: String)
    /// The plugin's provenance is not acceptable: unsigned, unknown or revoked key, bad
    /// signature, expired, a downgrade, or a protocol range this coordinator does not speak.
    case refused(path: String, reason: String)
    /// The sandbox stopped the plugin for a system call its policy forbids.
    case sandboxViolation(plugin: String, during: String, syscall: String)
    /// The plugin went over one of its limits (stderr volume, log rate, memory, CPU time) and was stopped.
    case limitExceeded(plugin: String, during: String, limit: String)

    public var description: String {
        switch self {
        case .invalidName(let n):
            return
                "invalid plugin name '\(DisplayText.escaped(n, limit: 64))': use lower-case letters, digits, '-' or '_' (no paths)"
        case .notFound(let name, let role, let searched, let available):
            let installed = available.isEmpty ? "none are installed" : "installed: \(available.joined(separator: ", "))"
            return
                "\(role) plugin '\(DisplayText.escaped(name, limit: 64))' not found (\(installed)); looked in: \(searched.isEmpty ? "(no plugin directories)" : searched.joined(separator: ", ")). Use --plugins-dir or run the set-up script."
        case .badManifest(let path, let why): return "plugin manifest \(path): \(why)"
        case .digestMismatch(let path, let expected, let actual):
            return
                "plugin executable \(path) does not match its manifest (sha256 \(actual.prefix(16))..., manifest says \(expected.prefix(16))...): refusing to run it"
        case .launchFailed(let p, let why): return "could not start plugin \(p): \(why)"
        case .crashed(let p, let during, let status, let tail):
            return "plugin \(p) \(status) during \(during)" + (tail.isEmpty ? "" : "; its last stderr: \(tail)")
        case .timedOut(let p, let method, let s, let detail):
            return "plugin \(p) did not answer \(method) within \(CallDeadlines.duration(s)); it was stopped"
                + (detail.isEmpty ? "" : " (\(detail))")
        case .protocolViolation(let p, let during, let why):
            return "plugin \(p) broke the protocol during \(during): \(why); it was stopped"
        case .remoteError(let p, let method, let e):
            return "plugin \(p) refused \(method): \(DisplayText.escaped(e.message, limit: 500)) (code \(e.code))"
        case .incompatible(let p, let why): return "plugin \(p) cannot be used: \(why)"
        case .refused(let path, let why): return "plugin \(path) refused: \(why)"
        case .sandboxViolation(let p, let during, let call):
            return "plugin \(p) was stopped by the sandbox during \(during): it attempted the forbidden system call '\(call)'"
        case .limitExceeded(let p, let during, let limit): return "plugin \(p) was stopped during \(during): \(limit)"
        }
    }
}
