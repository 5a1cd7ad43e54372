import ArgumentParser
import FeatureExtractorSupport
import Foundation
import StateStore

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users, roles and API tokens.",
        discussion: """
            Roles: viewer (read configs, models, the audit log), operator (also run, write configs, models \
            and logs), admin (everything, including users and trust). Passwords come from \
            $FEATURE_EXTRACTOR_PASSWORD or a 0600 --password-file; only salted slow hashes are stored. \
            Every change is audited.
            """,
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Grant.self, Token.self, Tokens.self, RevokeToken.self])

    struct Add: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user.")
        @Argument(help: "User name ([a-z][a-z0-9_.-]*).") var name: String
        @Option(help: "admin, operator or viewer.") var role: String = "viewer"
        @Option(
            name: .customLong("password-file"), help: "A 0600 file with the user's password (or $FEATURE_EXTRACTOR_PASSWORD).")
        var passwordFile: String?
        @OptionGroup var store: StoreOptions

        func execute() throws {
            guard let r = Role(rawValue: role) else { throw ValidationError("role must be admin, operator or viewer") }
            let db = try store.open()
            let actor = try store.actor(in: db, for: .manageUsers)
            let user = try db.addUser(name: name, role: r, password: try Secrets.password(file: passwordFile))
            try db.append(
                AuditEvent(actor: actor, action: "user.add", target: user.name, outcome: .success, details: ["role": r.rawValue]))
            print("added \(user.name) (\(r.rawValue))")
        }
    }

    struct List: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @Flag(help: "Print one JSON array (keys: docs/JSON.md).") var json = false
        @OptionGroup var store: StoreOptions

        /// One user as `--json` prints it (the stored record's own keys are the database's).
        struct Listed: Encodable {
            let name: String, role: String, disabled: Bool, createdAt: Date
            enum CodingKeys: String, CodingKey {
                case name, role, disabled
                case createdAt = "created_at"
            }
        }

        func execute() throws {
            let db = try store.open()
            _ = try store.actor(in: db, for: .readAudit)
            let users = try db.users()
            if json {
                try JSONOutput.print(
                    users.map { Listed(name: $0.name, role: $0.role.rawValue, disabled: $0.disabled, createdAt: $0.createdAt) })
            } else {
                for u in users { print("\(u.name)\t\(u.role.rawValue)\(u.disabled ? "\tdisabled" : "")") }
            }
        }
    }

    struct Disable: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: their tokens and password stop working at once.")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func execute() throws { try UserCommand.setDisabled(name, true, store) }
    }

    struct Enable: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a disabled user again (their tokens that are not revoked work again).")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func execute() throws { try UserCommand.setDisabled(name, false, store) }
    }

    private static func setDisabled(_ name: String, _ disabled: Bool, _ store: StoreOptions) throws {
        let db = try store.open()
        let actor = try store.actor(in: db, for: .manageUsers)
        try db.setDisabled(name, disabled)
        try db.append(
            AuditEvent(actor: actor, action: disabled ? "user.disable" : "user.enable", target: name, outcome: .success))
        print("\(disabled ? "disabled" : "enabled") \(name)")
    }

    struct Grant: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "Give a user another role.")
        @Argument var name: String
        @Option(help: "admin, operator or viewer.") var role: String
        @OptionGroup var store: StoreOptions

        func execute() throws {
            guard let r = Role(rawValue: role) else { throw ValidationError("role must be admin, operator or viewer") }
            let db = try store.open()
            let actor = try store.actor(in: db, for: .manageUsers)
            try db.grant(name, role: r)
            try db.append(
                AuditEvent(actor: actor, action: "user.grant", target: name, outcome: .success, details: ["role": r.rawValue]))
            print("\(name) is now \(r.rawValue)")
        }
    }

    struct Token: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Issue an API token (an Ed25519 key pair) for a user. Its private key is handed out once (printed, or "
                + "written to --output); only the public key is kept.")
        @Argument var name: String
        @Option(help: "What the token is for.") var label = "cli"
        @Option(
            name: .customLong("output"),
            help: "Write the token to this new file, mode 0600 (for --token-file), instead of printing it.")
        var output: String?
        @Option(name: .customLong("expires-days"), help: "Days until it expires (default: never).") var expiresDays: Int?
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let db = try store.open()
            let actor = try store.actor(in: db, for: .manageUsers)
            let expiry = expiresDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
            if let output, FileManager.default.fileExists(atPath: output) {
                throw ValidationError("--output \(output) exists: a token is written only to a new file")
            }
            let (token, record) = try db.issueToken(for: name, label: label, expiresAt: expiry)
            if let output {
                do {
                    try AtomicFileWriter.write(Array((token + "\n").utf8), to: output, mode: 0o600)
                } catch {
                    // Nobody holds its key: a token that cannot be handed out must not stay valid.
                    try? db.revokeToken(id: record.id)
                    throw error
                }
            }
            try db.append(
                AuditEvent(
                    actor: actor, action: "token.issue", target: name, outcome: .success,
                    details: ["token_id": record.id, "label": label]))
            print(output.map { "token \(record.id) written to \($0) (mode 0600)" } ?? token)
        }
    }

    struct Tokens: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a user's tokens by their public id (the secret is never stored, so never shown).")
        @Argument var name: String
        @Flag(help: "Print one JSON array (keys: docs/JSON.md).") var json = false
        @OptionGroup var store: StoreOptions

        /// One token as `--json` prints it: its public id and state, never key material.
        struct Listed: Encodable {
            let id: String, label: String, createdAt: Date, expiresAt: Date?, revoked: Bool
            enum CodingKeys: String, CodingKey {
                case id, label, revoked
                case createdAt = "created_at", expiresAt = "expires_at"
            }
        }

        func execute() throws {
            let db = try store.open()
            _ = try store.actor(in: db, for: .manageUsers)
            let tokens = try db.tokens(for: name)
            if json {
                try JSONOutput.print(
                    tokens.map {
                        Listed(id: $0.id, label: $0.label, createdAt: $0.createdAt, expiresAt: $0.expiresAt, revoked: $0.revoked)
                    })
            } else {
                let df = ISO8601DateFormatter()
                for t in tokens {
                    let state =
                        t.revoked
                        ? "revoked" : t.expiresAt.map { $0 <= Date() ? "expired" : "expires \(df.string(from: $0))" } ?? "active"
                    print("\(t.id)\t\(t.label)\tcreated \(df.string(from: t.createdAt))\t\(state)")
                }
            }
        }
    }

    struct RevokeToken: ToolCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-token",
            abstract: "Revoke a token by its public id (the 8 hex digits after fe_, see `user tokens`); it stops working at once."
        )
        @Argument(help: "The token's public id: the 8 hex digits after fe_.") var id: String
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard id.count == 8, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                // Never echo the argument: it may be a whole token, secret included.
                throw ValidationError(
                    "give the token's id only, the 8 hex digits after fe_ (see `user tokens NAME`); "
                        + "a whole token on a command line shows in process listings")
            }
        }

        func execute() throws {
            let db = try store.open()
            let actor = try store.actor(in: db, for: .manageUsers)
            try db.revokeToken(id: id)
            try db.append(AuditEvent(actor: actor, action: "token.revoke", target: id, outcome: .success))
            print("revoked token \(id)")
        }
    }
}
