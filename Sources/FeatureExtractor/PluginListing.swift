import FeatureExtractorSupport
import Foundation
import PluginHost
import PluginProtocol

/// One installed plugin as `plugin list` shows it (and prints it with `--json`).
struct PluginListing: Encodable {
    var role: String
    var name: String
    var version: String?
    var directory: String
    /// The id of the trusted key whose signature verified; nil when refused.
    var signer: String?
    /// "trusted" (a run would accept it), "refused" (`problem` says why) or "shadowed" (an
    /// earlier directory holds the same name: a run takes that one).
    var trust: String
    var problem: String?

    /// Every package under `directories`, checked as a run checks it, in search order.
    static func list(directories: [String], trust: TrustStore) -> [PluginListing] {
        let locator = PluginLocator(directories: [], verification: ManifestVerification(trust: trust))
        var seen = Set<String>()
        var out: [PluginListing] = []
        for dir in directories {
            for role in PluginRole.allCases {
                let roleDirectory = "\(dir)/\(role.rawValue)s"
                let names = (try? FileManager.default.contentsOfDirectory(atPath: roleDirectory)) ?? []
                for name in names.filter(PluginName.isValid).sorted() {
                    let directory = URL(fileURLWithPath: roleDirectory + "/" + name).resolvingSymlinksInPath().path
                    var entry = PluginListing(
                        role: role.rawValue, name: name, version: nil, directory: directory, signer: nil, trust: "trusted")
                    if !seen.insert("\(role.rawValue)/\(name)").inserted {
                        entry.trust = "shadowed"
                        entry.problem = "an earlier plugin directory holds \(role.rawValue) \(name)"
                    }
                    do {
                        let package = try locator.load(packageDirectory: directory, expectedName: name, role: role)
                        entry.version = package.manifest.version
                        entry.signer = package.signer
                    } catch {
                        entry.version = Self.declaredVersion(directory)
                        if entry.trust == "trusted" {
                            entry.trust = "refused"
                            entry.problem = DisplayText.escaped("\(error)", limit: 500)
                        }
                    }
                    out.append(entry)
                }
            }
        }
        return out
    }

    /// The version a manifest declares, read without any check (for a refused package's line).
    private static func declaredVersion(_ directory: String) -> String? {
        guard
            let data = try? PluginLocator.readLimited(directory + "/" + PluginManifest.fileName, limit: PluginManifest.maxBytes),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return (object["version"] as? String).map { DisplayText.escaped($0, limit: 40) }
    }
}

/// The trust store as listing needs it: read, never written (verifying for a listing must not
/// record versions as accepted, which would turn a later intended downgrade into a refusal).
struct ReadOnlyTrust: TrustStore {
    let base: TrustStore
    init(_ base: TrustStore) { self.base = base }
    func trustedKey(id: String) throws -> TrustedPublicKey? { try base.trustedKey(id: id) }
    func highestVersion(plugin: String, keyID: String) throws -> String? { try base.highestVersion(plugin: plugin, keyID: keyID) }
    func recordVersion(plugin: String, keyID: String, version: String) throws {}
}

/// `plugin info --json`.
struct PluginInfoView: Encodable {
    var role: String
    var name: String
    var version: String
    var protocolVersion: ProtocolRange
    var transport: String
    var directory: String
    var sha256: String?
    var signer: String?
    var parameters: ParameterSchema

    enum CodingKeys: String, CodingKey {
        case role, name, version, protocolVersion = "protocol", transport, directory, sha256, signer, parameters
    }
}

/// `plugin check --json`: every item, the package's own first.
struct CheckView: Encodable {
    struct Item: Encodable {
        var name: String
        var passed: Bool
        var detail: String
    }
    var package: String
    var passed: Bool
    var items: [Item]
}
