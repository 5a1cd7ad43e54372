import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import StateStore

/// The database every command records to, and who is acting.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help:
            "The SQLite database (default: $FEATURE_EXTRACTOR_DB, else feature-extractor.sqlite in $FEATURE_EXTRACTOR_HOME or ~/.local/share/feature-extractor)."
    )
    var database: String?

    @Option(
        name: .customLong("username"),
        help: "Act as this user; the token comes from $FEATURE_EXTRACTOR_TOKEN or --token-file, never from the command line.")
    var username: String?

    @Option(name: .customLong("token-file"), help: "A file (mode 0600) holding the user's API token.")
    var tokenFile: String?

    @Option(name: .customLong("password"), help: .hidden)
    var password: String?

    var path: String { database ?? StateStore.defaultPath() }

    /// Opens the store (creating the home directory when it is the default one).
    func open() throws -> StateStore {
        if database == nil && ProcessInfo.processInfo.environment["FEATURE_EXTRACTOR_DB"] == nil {
            try FeatureExtractorHome.ensure(PathComponents.directory(of: path))
        }
        return try StateStore.open(path: path)
    }

    /// The acting user: authenticated when --username is given, else the OS user.
    /// Refuses a password on the command line, where every process listing shows it.
    func actor(in store: StateStore, for action: Action) throws -> String {
        if password != nil {
            throw ValidationError(
                "--password is refused: the process list shows command lines. Put the token in $FEATURE_EXTRACTOR_TOKEN or a 0600 file given with --token-file"
            )
        }
        guard let username else { return StateStore.osUser }
        let token = try Secrets.token(file: tokenFile)
        let outcome = store.authenticateWithReason(token: token)
        guard let user = outcome.user, user.name == username else {
            try store.append(
                AuditEvent(
                    actor: username, action: "auth.fail", target: action.rawValue, outcome: .refused,
                    details: ["reason": outcome.user == nil ? outcome.reason : "token belongs to another user"]))
            throw StoreError.authenticationFailed
        }
        guard StateStore.isAllowed(user.role, action) else {
            try store.append(
                AuditEvent(
                    actor: user.name, action: "auth.deny", target: action.rawValue, outcome: .refused,
                    details: ["role": user.role.rawValue]))
            throw AccessDenied(user: user.name, role: user.role.rawValue, action: action.rawValue)
        }
        return user.name
    }
}

/// A user whose role does not allow the action.
struct AccessDenied: Error, CustomStringConvertible {
    var user: String, role: String, action: String
    var description: String { "user '\(user)' (\(role)) may not \(action)" }
}

/// Secrets come from the environment or a 0600 file, never from arguments or config.
enum Secrets {
    static func token(file: String?) throws -> String {
        if let file {
            var st = stat()
            guard stat(file, &st) == 0 else { throw ValidationError("token file \(file) cannot be read") }
            guard st.st_mode & 0o077 == 0 else {
                throw ValidationError("token file \(file) must be mode 0600 (others can read it)")
            }
            let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw ValidationError("token file \(file) is empty") }
            return text
        }
        guard let token = ProcessInfo.processInfo.environment["FEATURE_EXTRACTOR_TOKEN"], !token.isEmpty else {
            throw ValidationError(
                "a token is needed (for --username or a remote server): set FEATURE_EXTRACTOR_TOKEN or give --token-file")
        }
        return token
    }

    /// A new user's password, from the environment or a 0600 file.
    static func password(file: String?) throws -> String? {
        if let file {
            var st = stat()
            guard stat(file, &st) == 0, st.st_mode & 0o077 == 0 else {
                throw ValidationError("password file \(file) must exist with mode 0600")
            }
            return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
        }
        return ProcessInfo.processInfo.environment["FEATURE_EXTRACTOR_PASSWORD"]
    }
}
