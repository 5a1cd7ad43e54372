import RemoteAuth
import StateStore

/// What each endpoint requires, known before its body is read: a request whose role does not
/// allow it, or that names no endpoint, is answered from its head alone.
enum RouteTable {
    /// The action `method path` needs; nil when no endpoint matches.
    static func action(_ method: String, _ path: String) -> Action? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].isEmpty, "/" + parts[1] == RemoteAPI.prefix, !parts.dropFirst().contains("")
        else { return nil }
        let r = Array(parts.dropFirst(2))
        let versions = r.count == 4 && r[2] == "versions"
        switch (method, r[0]) {
        case ("GET", "configs") where r.count == 2 || versions: return .readConfig
        case ("POST", "configs") where r.count == 2: return .writeConfig
        case ("PUT", "models") where versions: return .writeModel
        case ("GET", "models") where versions: return .readModel
        case ("POST", "logs") where r.count == 1: return .writeLog
        case ("GET", "users") where r.count == 1, ("POST", "users") where r.count == 1: return .manageUsers
        case ("PUT", "users") where r.count == 3 && (r[2] == "role" || r[2] == "disabled"): return .manageUsers
        case ("GET", "users") where r.count == 3 && r[2] == "tokens": return .manageUsers
        case ("POST", "users") where r.count == 3 && r[2] == "tokens": return .manageUsers
        case ("POST", "tokens") where r.count == 3 && r[2] == "revoke": return .manageUsers
        default: return nil
        }
    }
}
