import Foundation

/// What happened, as the caller describes it; ``StateStore/append(_:)`` turns it into an
/// ``AuditEntry`` with an id, a timestamp and its place in the hash chain.
public struct AuditEvent: Sendable {
    /// Who did it: a user name, or ``StateStore/osUser`` when nobody authenticated.
    public var actor: String
    /// What was done, e.g. an ``Action`` raw value or `"auth.token"`.
    public var action: String
    /// What it was done to (a file, a user, a plugin), or empty.
    public var target: String
    public var outcome: AuditOutcome
    /// Free-form context. Never put secrets here: the log is readable by auditors, and
    /// `append` refuses values that look like API tokens.
    public var details: [String: String]

    public init(actor: String, action: String, target: String = "", outcome: AuditOutcome, details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.details = details
    }
}

public enum AuditOutcome: String, Codable, Sendable {
    /// Done.
    case success
    /// Tried and failed (bad input, a crash, an I/O error).
    case failure
    /// Not attempted because a check said no (authentication, permission, trust, sandbox).
    case refused
}

/// Which entries ``StateStore/entries(_:)`` returns.
public struct AuditFilter: Sendable {
    public var actor: String?
    public var action: String?
    /// Entries at or after this time.
    public var since: Date?
    /// Entries strictly before this time.
    public var until: Date?
    /// At most this many entries: the most recent ones, still returned oldest first.
    public var limit: Int?

    public init(actor: String? = nil, action: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int? = nil) {
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
        self.limit = limit
    }
}

/// A chain position recorded outside the database (`count:head` as `audit verify` prints it).
/// A later log must still hold entry `count` with hash `head`: the chain alone cannot show
/// that its newest entries were removed, an anchor kept elsewhere can.
public struct AuditAnchor: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var head: String

    public init(count: Int, head: String) {
        self.count = count
        self.head = head
    }

    /// Parses `count:head`; nil unless the count is a non-negative integer and the head 64 hex digits.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), count >= 0, parts[1].count == 64,
            parts[1].allSatisfy({ $0.isHexDigit })
        else { return nil }
        self.init(count: count, head: parts[1].lowercased())
    }

    public var description: String { "\(count):\(head)" }
}

/// The result of ``StateStore/verify(anchor:)``.
public enum AuditVerification: Sendable, Equatable {
    /// Every entry checks out. `head` is the last entry's hash (64 zeros for an empty log):
    /// write it down somewhere else to be able to detect a later truncation of the log.
    case intact(count: Int, head: String)
    /// The first entry that does not check out, and why.
    case broken(entryID: Int64, reason: String)
}
