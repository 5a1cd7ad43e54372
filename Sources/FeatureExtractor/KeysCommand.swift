import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import PluginHost
import StateStore

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage signing keys and the keys trusted to sign plugins and models.",
        discussion: "Private keys are written with mode 0600 and never printed. Every trust change is audited.",
        subcommands: [Generate.self, List.self, Trust.self, Revoke.self])

    /// Trusts a public key in the store, as the acting user, and audits it.
    static func trust(_ key: PublicSigningKey, store: StoreOptions) throws {
        let db = try store.open()
        let actor = try store.actor(in: db, for: .manageTrust)
        try db.trustKey(
            TrustedKey(id: key.id, publicKey: key.raw.base64EncodedString(), name: key.name, addedAt: Date(), revokedAt: nil))
        try db.append(
            AuditEvent(actor: actor, action: "trust.add", target: key.id, outcome: .success, details: ["name": key.name]))
        print("trusted \(key.id) (\(key.name))")
    }

    struct Generate: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 key pair (private key 0600, public key beside it as .pub).")
        @Option(help: "A name for the key.") var name = "local"
        @Option(help: "Where to write the private key (default: keys/<name>.key in the home directory).") var out: String?
        @Flag(help: "Also trust the new key on this machine.") var trust = false
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let path = out ?? FeatureExtractorHome.directory() + "/keys/\(name).key"
            try FeatureExtractorHome.ensure(PathComponents.directory(of: path))
            let key = SigningKey.generate(name: name)
            try key.write(to: path)
            print("key \(key.id) (\(name)): private \(path), public \(path).pub")
            if trust { try KeysCommand.trust(key.publicKey, store: store) }
        }
    }

    struct List: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "List trusted (and revoked) keys.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON array (keys: docs/JSON.md).") var json = false

        /// One key as `--json` prints it.
        struct View: Encodable {
            var id: String
            var name: String
            var publicKey: String
            var addedAt: Date
            var revokedAt: Date?
            var revoked: Bool

            enum CodingKeys: String, CodingKey {
                case id, name, publicKey = "public_key", addedAt = "added_at", revokedAt = "revoked_at", revoked
            }
        }

        func execute() throws {
            let db = try store.open()
            _ = try store.actor(in: db, for: .readAudit)
            let keys = try db.trustedKeys()
            if json {
                return try JSONOutput.print(
                    keys.map {
                        View(
                            id: $0.id, name: $0.name, publicKey: $0.publicKey, addedAt: $0.addedAt, revokedAt: $0.revokedAt,
                            revoked: $0.revokedAt != nil)
                    })
            }
            let f = ISO8601DateFormatter()
            for k in keys {
                print(
                    "\(k.id)  \(k.name)  added \(f.string(from: k.addedAt))\(k.revokedAt.map { "  REVOKED \(f.string(from: $0))" } ?? "")"
                )
            }
        }
    }

    struct Trust: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "Trust a public key (.pub file) to sign plugins and models.")
        @Argument(help: "The .pub file.") var publicKey: String
        @OptionGroup var store: StoreOptions

        func execute() throws {
            try KeysCommand.trust(
                try PublicSigningKey.decode(try PluginLocator.readLimited(publicKey, limit: 4096), source: publicKey),
                store: store)
        }
    }

    struct Revoke: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a trusted key: what it signed is refused from now on.")
        @Argument(help: "The key id.") var id: String
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let db = try store.open()
            let actor = try store.actor(in: db, for: .manageTrust)
            try db.revokeKey(id: id)
            try db.append(AuditEvent(actor: actor, action: "trust.revoke", target: id, outcome: .success))
            print("revoked \(id)")
        }
    }
}
