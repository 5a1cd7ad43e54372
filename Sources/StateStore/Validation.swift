import FeatureExtractorSupport
import RemoteAuth

/// The checks on what callers hand the store. Messages never echo a refused value that
/// could be a secret (a password, or a token pasted into the wrong field).
enum Validation {
    static let minimumPasswordLength = 12
    static let maximumPasswordLength = 1024

    /// `^[a-z][a-z0-9_.-]{0,63}$`: safe in file names, shells and log lines.
    static func checkUserName(_ name: String) throws {
        guard Identifier.isValid(name, punctuation: "_.-") else {
            throw StoreError.invalid(
                what: "user name",
                reason: "use 1 to 64 characters: a lowercase letter, then lowercase letters, digits, '_', '.' or '-'")
        }
    }

    static func checkPassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw StoreError.invalid(what: "password", reason: "use at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= maximumPasswordLength else {
            throw StoreError.invalid(what: "password", reason: "use at most \(maximumPasswordLength) bytes")
        }
    }

    /// Free text meant for people (token labels, key owners): bounded, one line.
    static func checkLabel(_ text: String, what: String, allowEmpty: Bool = true) throws {
        guard allowEmpty || !text.isEmpty else {
            throw StoreError.invalid(what: what, reason: "must not be empty")
        }
        guard text.count <= 200 else {
            throw StoreError.invalid(what: what, reason: "use at most 200 characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw StoreError.invalid(what: what, reason: "must not contain control characters (line breaks, tabs, escapes)")
        }
        guard !APITokenText.appears(in: text) else {
            throw StoreError.invalid(what: what, reason: "must not contain an API token")
        }
    }

    /// Lowercase hex, 8 to 64 digits.
    static func checkKeyID(_ id: String) throws {
        guard (8...64).contains(id.utf8.count), id.utf8.allSatisfy(APITokenText.isHexDigit) else {
            throw StoreError.invalid(what: "key id", reason: "use 8 to 64 lowercase hex digits")
        }
    }

    /// How a user name given by a caller appears in messages: quoted if it is a valid name,
    /// else not at all (it may be a password typed into the wrong field).
    static func shown(userName name: String) -> String {
        (try? checkUserName(name)) != nil ? "'\(name)'" : "(invalid name)"
    }
}
