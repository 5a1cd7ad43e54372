import Foundation
import Hummingbird
import RemoteAuth
import StateStore

/// The admin's endpoints: what `feature-extractor user …` does on the server's host, over
/// HTTPS. Each change is an audit entry with the admin as actor, besides the request's own.
/// Users added here have no password (tokens only); a token's private key is in the answer to
/// its issue, once, and never again.
extension ServerRoutes {
    func registerUserRoutes(_ v1: RouterGroup<ServerContext>) {
        v1.get("users") { _, context in try listUsers(context) }
        v1.post("users") { _, context in try addUser(context) }
        v1.put("users/:name/role") { _, context in try setRole(context) }
        v1.put("users/:name/disabled") { _, context in try setDisabled(context) }
        v1.get("users/:name/tokens") { _, context in try listTokens(context) }
        v1.post("users/:name/tokens") { _, context in try issueToken(context) }
        v1.post("tokens/:id/revoke") { _, context in try revokeToken(context) }
    }

    private func listUsers(_ context: ServerContext) throws -> Response {
        _ = try require(.manageUsers, context)
        let users = try store.users().map(Self.describe)
        return reply(.ok, json(users), context)
    }

    private func addUser(_ context: ServerContext) throws -> Response {
        let admin = try require(.manageUsers, context)
        let body = try object(context, allowed: ["name", "role"])
        guard let name = body["name"] as? String, RemoteAPI.isValidName(name) else {
            throw APIError.badRequest("name must match [a-z][a-z0-9_.-]{0,63}")
        }
        let role = try self.role(body["role"] ?? "viewer")
        let user = try mapped { try store.addUser(name: name, role: role, password: nil) }
        try audit(admin, "user.add", name, ["role": role.rawValue])
        return reply(.created, json(Self.describe(user)), context)
    }

    private func setRole(_ context: ServerContext) throws -> Response {
        let admin = try require(.manageUsers, context)
        let name = try self.name(context)
        let role = try self.role(try object(context, allowed: ["role"])["role"] as Any)
        try mapped { try store.grant(name, role: role) }
        try audit(admin, "user.grant", name, ["role": role.rawValue])
        return reply(.ok, json(["name": name, "role": role.rawValue]), context)
    }

    private func setDisabled(_ context: ServerContext) throws -> Response {
        let admin = try require(.manageUsers, context)
        let name = try self.name(context)
        _ = try object(context, allowed: ["disabled"])
        guard let disabled = try? JSONDecoder().decode(DisabledBody.self, from: context.body).disabled else {
            throw APIError.badRequest(
                "the body must be {\"disabled\": true} or {\"disabled\": false} (a JSON boolean, not 1 or \"true\")")
        }
        try mapped { try store.setDisabled(name, disabled) }
        try audit(admin, disabled ? "user.disable" : "user.enable", name, [:])
        return reply(.ok, json(["name": name, "disabled": disabled]), context)
    }

    private func listTokens(_ context: ServerContext) throws -> Response {
        _ = try require(.manageUsers, context)
        let name = try self.name(context)
        let tokens = try mapped { try store.tokens(for: name) }
        let listed: [[String: Any]] = tokens.map { t in
            var entry: [String: Any] = ["id": t.id, "label": t.label, "created_at": Self.time(t.createdAt), "revoked": t.revoked]
            if let expiry = t.expiresAt { entry["expires_at"] = Self.time(expiry) }
            return entry
        }
        return reply(.ok, json(listed), context)
    }

    private func issueToken(_ context: ServerContext) throws -> Response {
        let admin = try require(.manageUsers, context)
        let name = try self.name(context)
        _ = try object(context, allowed: ["label", "expires_days"])
        let body: TokenBody
        do {
            body = try JSONDecoder().decode(TokenBody.self, from: context.body)
        } catch {
            throw APIError.badRequest(
                "a token needs a \"label\" (a string) and may have \"expires_days\" (an integer, not a boolean)")
        }
        let label = body.label
        var expiry: Date?
        if let d = body.expiresDays {
            guard (1...3650).contains(d) else { throw APIError.badRequest("expires_days must be 1 to 3650") }
            expiry = Date().addingTimeInterval(Double(d) * 86_400)
        }
        let (token, record) = try mapped { try store.issueToken(for: name, label: label, expiresAt: expiry) }
        try audit(admin, "token.issue", name, ["token_id": record.id, "label": label])
        return reply(.created, json(["token": token, "id": record.id, "user": name]), context)
    }

    private func revokeToken(_ context: ServerContext) throws -> Response {
        let admin = try require(.manageUsers, context)
        guard let id = context.parameters.get("id"), id.count == 8, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw APIError.badRequest("a token id is 8 lowercase hex digits")
        }
        try mapped { try store.revokeToken(id: id) }
        try audit(admin, "token.revoke", id, [:])
        return reply(.ok, json(["id": id, "revoked": true]), context)
    }

    // MARK: - Helpers

    private static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    private static func describe(_ user: User) -> [String: Any] {
        ["name": user.name, "role": user.role.rawValue, "disabled": user.disabled, "created_at": Self.time(user.createdAt)]
    }

    /// The body as a JSON object with only the `allowed` keys: a misspelt key is an error, not ignored.
    private func object(_ context: ServerContext, allowed: Set<String>) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: context.body)) as? [String: Any] else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest(
                "unknown key '\(unknown.prefix(40))' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        return object
    }

    private func role(_ value: Any) throws -> Role {
        guard let text = value as? String, let role = Role(rawValue: text) else {
            throw APIError.badRequest("role must be admin, operator or viewer")
        }
        return role
    }

    /// The store's refusals as answers: a missing user or token is 404, a refused argument 400.
    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch StoreError.notFound(let what) {
            throw APIError.notFound("\(what) not found")
        } catch StoreError.invalid(let what, let reason) {
            throw APIError.badRequest("\(what): \(reason)")
        }
    }

    private func audit(_ admin: User, _ action: String, _ target: String, _ details: [String: String]) throws {
        _ = try store.append(
            AuditEvent(actor: AuditActor.http(admin.name), action: action, target: target, outcome: .success, details: details))
    }
}

/// Typed bodies: JSON's booleans and integers exactly (`1` is not `true`, `true` is not `1`).
private struct DisabledBody: Decodable {
    let disabled: Bool
}

private struct TokenBody: Decodable {
    let label: String
    let expiresDays: Int?

    enum CodingKeys: String, CodingKey {
        case label
        case expiresDays = "expires_days"
    }
}
