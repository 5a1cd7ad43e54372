/// What a user may do, as a set of ``Action``s granted per role in the `permission` table.
public enum Role: String, Codable, CaseIterable, Sendable {
    case admin, `operator`, viewer
}

/// The actions the coordinator and CLI check before acting. The raw values are what the
/// `permission` table and the audit log store, so they must never change.
public enum Action: String, Codable, CaseIterable, Sendable {
    case run
    case readConfig = "config.read"
    case writeConfig = "config.write"
    case readModel = "model.read"
    case writeModel = "model.write"
    case writeLog = "log.write"
    case readAudit = "audit.read"
    case manageUsers = "users.manage"
    case manageTrust = "trust.manage"
}
