import Foundation
import PluginProtocol
import RemoteAuth
import RemoteClient

/// Configs kept on `feature-extractor serve`: fetched as a layer between the local
/// file and the command line, and saved as new versions.
public enum RemoteConfiguration {
    /// Keys a remote config may not set: they weaken this machine's protections, which
    /// only its operator decides.
    public static let forbiddenKeys: Set<String> = ["allow_weaker_sandbox", "allow_downgrade", "plugin_limits"]

    /// GET the config at `url`; its digest is checked, its keys validated like a file's.
    public static func load(_ url: String, client: RemoteClient) throws -> [String: JSONValue] {
        let response = try client.send("GET", url, idempotent: true)
        let source = URLRedactor.redact(url)
        guard let digest = response.header("X-FE-Content-SHA256"), digest == RequestSigning.sha256Hex(response.body) else {
            throw RemoteError.integrity("the config from \(source) does not match its digest")
        }
        let object = try ConfigurationLoader.parseObject(response.body, source: source)
        for key in object.keys.sorted() where forbiddenKeys.contains(key) {
            throw ConfigurationError.invalid(
                key: key, reason: "a remote config (\(source)) may not set it; only the local operator can")
        }
        return object
    }

    /// POST the merged configuration as a new version; returns the version number.
    @discardableResult
    public static func save(_ config: RunConfiguration, to url: String, client: RemoteClient) throws -> Int {
        var copy = config
        copy.saveConfig = nil
        // This machine's protections stay here: a shared config never carries them.
        var object = try ConfigurationLoader.asObject(copy)
        for key in forbiddenKeys { object.removeValue(forKey: key) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let response = try client.send(
            "POST", url, body: try encoder.encode(JSONValue.object(object)),
            headers: ["Content-Type": "application/json"], idempotent: false)
        return (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["version"] as? Int ?? 0
    }
}
