import Foundation
import PluginProtocol
import RemoteAuth
import RemoteClient

/// Configs kept on `feature-extractor serve`: fetched as a layer between the local
/// file and the command line, and saved as new versions.
public enum RemoteConfiguration {
    /// GET the config at `url`; its digest is checked, its keys translated like a file's, and
    /// every key outside `RemoteConfigScope.allowedKeys` refused.
    public static func load(_ url: String, client: RemoteClient) throws -> ConfigurationTranslation {
        let response = try client.send("GET", url, idempotent: true)
        let source = URLRedactor.redact(url)
        guard let digest = response.header("X-FE-Content-SHA256"), digest == RequestSigning.sha256Hex(response.body) else {
            throw RemoteError.integrity("the config from \(source) does not match its digest")
        }
        let object = try ConfigurationLoader.parseObject(response.body, source: source)
        // Checked after translation: the original's spellings (`csv_file`, ...) are refused as what they mean.
        let translation = try ConfigurationTranslation.translate(object, source: source)
        try RemoteConfigScope.check(translation.layer, source: source)
        return translation
    }

    /// POST the shareable part of the merged configuration (training and plugin parameters) as
    /// a new version; returns the version number.
    @discardableResult
    public static func save(_ config: RunConfiguration, to url: String, client: RemoteClient) throws -> Int {
        // This machine's paths, URLs, protections and limits stay here: a shared config never carries them.
        let object = RemoteConfigScope.shareable(try ConfigurationLoader.asObject(config))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let response = try client.send(
            "POST", url, body: try encoder.encode(JSONValue.object(object)),
            headers: ["Content-Type": "application/json"], idempotent: false)
        // A 2xx without the version it created is not a save this run can report.
        guard let version = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["version"] as? Int,
            version > 0
        else {
            throw RemoteError.integrity("the server's answer to the config save names no version")
        }
        return version
    }
}
