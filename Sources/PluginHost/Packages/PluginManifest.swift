import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// `plugin.json`: what a plugin package claims to be.
///
/// The manifest is read before anything of the plugin runs, so it is parsed
/// with a size limit and every field is checked here; nothing downstream sees
/// an unchecked manifest.
public struct PluginManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var name: String
    public var role: PluginRole
    public var version: String
    public var description: String
    public var `protocol`: ProtocolRange
    /// File name of the executable inside the package directory (no path).
    public var executable: String
    /// Lower-case hex SHA-256 of the executable; absent only in a source template.
    public var sha256: String?
    /// Limits the plugin asks for; they can only make the policy's tighter.
    public var limits: ResourceLimits?
    /// Id of the key that signs this manifest (set by `plugin sign`).
    public var publisherKey: String?
    /// After this date (`YYYY-MM-DD` or ISO 8601, UTC) the manifest is refused.
    public var expires: String?
    /// What an interpreted plugin asks of the sandbox (its interpreter, read paths, system
    /// calls); granted only as far as the operator's policy allows (see `SandboxRequest`).
    public var sandbox: SandboxRequest?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", name, role, version, description, `protocol`, executable, sha256, limits
        case publisherKey = "publisher_key", expires, sandbox
    }

    /// `expires` as a date; nil when absent.
    public var expiryDate: Date? {
        guard let expires else { return nil }
        return Self.parseDate(expires)
    }

    static func parseDate(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        if let d = full.date(from: text) { return d }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        // A bare date is valid through its whole day.
        return day.date(from: text).map { $0.addingTimeInterval(86_400 - 0.001) }
    }

    public static let maxBytes = 64 * 1024
    public static let fileName = "plugin.json"

    /// Parses and validates manifest bytes; `source` names the file in errors.
    public static func parse(_ bytes: Data, source: String) throws -> PluginManifest {
        guard bytes.count <= maxBytes else { throw PluginError.badManifest(source, "larger than \(maxBytes) bytes") }
        let m: PluginManifest
        do {
            m = try JSONDecoder().decode(PluginManifest.self, from: bytes)
        } catch let error as DecodingError {
            throw PluginError.badManifest(source, Self.describe(error))
        }
        try m.validate(source: source)
        return m
    }

    public func validate(source: String) throws {
        func bad(_ why: String) -> PluginError { .badManifest(source, why) }
        guard schemaVersion == 1 else { throw bad("schema_version \(schemaVersion) is not supported (expected 1)") }
        guard PluginName.isValid(name) else { throw bad("name '\(name.prefix(64))' must match [a-z][a-z0-9_-]{0,63}") }
        guard SemanticVersion(version) != nil else { throw bad("version '\(version.prefix(32))' is not MAJOR.MINOR.PATCH") }
        guard `protocol`.isValid else { throw bad("protocol range \(`protocol`) is empty") }
        guard description.utf8.count <= 4096 else { throw bad("description is over 4096 bytes") }
        guard !executable.isEmpty, executable.utf8.count <= 128, !executable.contains("/"), executable != ".", executable != ".."
        else {
            throw bad("executable must be a plain file name inside the package")
        }
        if let publisherKey {
            guard publisherKey.utf8.count == 16,
                publisherKey.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
            else {
                throw bad("publisher_key must be a 16-hex-digit key id")
            }
        }
        if let expires, Self.parseDate(expires) == nil {
            throw bad("expires '\(expires.prefix(40))' is not a date (YYYY-MM-DD or ISO 8601)")
        }
        try sandbox?.validate(source: source)
        if let sha256 {
            guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw bad("sha256 must be 64 lower-case hex digits")
            }
        }
    }

    /// Manifest bytes in a stable form (sorted keys), as written by `plugin install`.
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self) + Data("\n".utf8)
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "field '\(key.stringValue)' is missing"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return "field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case .dataCorrupted(let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "field '\(path)' is invalid"
        @unknown default: return "invalid"
        }
    }
}
