import GRDB

extension StateStore {
    /// The permissions every new database starts with (the `permission` table is seeded with
    /// the same by the first migration): viewers read configurations, models and the audit
    /// log; operators also run, write configurations, models and logs; admins also manage
    /// users and the trust store.
    public static let defaultPermissions: [Role: Set<Action>] = {
        let viewer: Set<Action> = [.readConfig, .readModel, .readAudit]
        let `operator` = viewer.union([.run, .writeConfig, .writeModel, .writeLog])
        return [.viewer: viewer, .operator: `operator`, .admin: Set(Action.allCases)]
    }()

    /// Whether the default permissions let `role` do `action`. A store's own table may have
    /// been changed by its admin: when a store is open, ask it (`store.isAllowed(role, action)`).
    public static func isAllowed(_ role: Role, _ action: Action) -> Bool {
        defaultPermissions[role]?.contains(action) ?? false
    }

    /// Whether `role` may do `action` according to this database's `permission` table.
    /// Anything not in the table is refused (there is no fallback to the defaults).
    public func isAllowed(_ role: Role, _ action: Action) throws -> Bool {
        try read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM permission WHERE role = ? AND action = ?)",
                arguments: [role.rawValue, action.rawValue]) ?? false
        }
    }

    /// The whole `permission` table; entries this version does not know are left out.
    public func permissions() throws -> [Role: Set<Action>] {
        try read { db in
            var permissions: [Role: Set<Action>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT role, action FROM permission") {
                guard let role = (try? row.decode(String.self, forColumn: "role")).flatMap(Role.init(rawValue:)),
                    let action = (try? row.decode(String.self, forColumn: "action")).flatMap(Action.init(rawValue:))
                else { continue }
                permissions[role, default: []].insert(action)
            }
            return permissions
        }
    }

    /// Whether an authenticated user may do `action`: not disabled, and allowed by the table.
    public func isAllowed(_ user: User, _ action: Action) throws -> Bool {
        guard !user.disabled else { return false }
        return try isAllowed(user.role, action)
    }
}
