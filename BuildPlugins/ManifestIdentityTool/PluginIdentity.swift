import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// The three fields of plugin.json that a plugin's handshake must repeat, checked with the
/// host's own rules (PluginName, SemanticVersion, PluginRole) so a build never produces a
/// plugin whose identity the host would refuse.
struct PluginIdentity {
    var name: String
    var version: String
    var role: PluginRole

    /// What each field must be, as the errors say it.
    static let rules = [
        "name": "a name matching [a-z][a-z0-9_-]{0,63}", "version": "MAJOR.MINOR.PATCH, such as 1.0.0",
        "role": PluginRole.allCases.map(\.rawValue).joined(separator: " or "),
    ]

    init(manifestAt path: String) throws(ManifestError) {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ManifestError(file: path, problem: "cannot read the manifest (\(error.localizedDescription))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: bytes) else {
            throw ManifestError(file: path, problem: "the manifest is not valid JSON")
        }
        guard let fields = object as? [String: Any] else {
            throw ManifestError(file: path, problem: "the manifest must be a JSON object")
        }
        /// The field's value as `parse` reads it; nil from `parse` means it breaks the rule.
        func field<Value>(_ key: String, _ parse: (String) -> Value?) throws(ManifestError) -> Value {
            let rule = Self.rules[key] ?? ""
            guard let value = fields[key] else { throw ManifestError(file: path, field: key, problem: "is missing (\(rule))") }
            guard let text = value as? String else {
                throw ManifestError(file: path, field: key, problem: "must be a string (\(rule))")
            }
            guard let parsed = parse(text) else {
                throw ManifestError(file: path, field: key, problem: "is '\(text.prefix(64))'; it must be \(rule)")
            }
            return parsed
        }
        name = try field("name") { PluginName.isValid($0) ? $0 : nil }
        version = try field("version") { SemanticVersion($0) != nil ? $0 : nil }
        role = try field("role", PluginRole.init(rawValue:))
    }
}

/// `<file>: error: field '<field>' <problem>`: the compiler's shape, so the build log and
/// editors point at the manifest.
struct ManifestError: Error, CustomStringConvertible {
    var file: String
    var field: String?
    var problem: String

    init(file: String, field: String? = nil, problem: String) {
        (self.file, self.field, self.problem) = (file, field, problem)
    }

    var description: String {
        "\(file): error: " + (field.map { "field '\($0)' \(problem)" } ?? problem)
    }
}
