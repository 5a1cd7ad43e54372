import Foundation
import GRDB

extension StateStore {
    /// Adds a user. `password` nil: the user can only use API tokens. Names follow
    /// `^[a-z][a-z0-9_.-]{0,63}$`; passwords have at least 12 characters and are stored only
    /// as a salted slow hash.
    public func addUser(name: String, role: Role, password: String?) throws -> User {
        try Validation.checkUserName(name)
        // Hash before taking the write lock: it takes a good part of a second.
        let passwordHash = try password.map { password in
            try Validation.checkPassword(password)
            return try PasswordHash.make(password)
        }
        return try write { db in
            guard try User.filter(Column("name") == name).isEmpty(db) else {
                throw StoreError.invalid(what: "user '\(name)'", reason: "a user with this name already exists")
            }
            var user = User(name: name, role: role, createdAt: Timestamp.truncated(now()))
            try db.execute(
                sql: "INSERT INTO user (name, role, disabled, passwordHash, createdAt) VALUES (?, ?, 0, ?, ?)",
                arguments: [name, role.rawValue, passwordHash, Timestamp.text(user.createdAt)])
            user.id = db.lastInsertedRowID
            return user
        }
    }

    /// Every user, by name.
    public func users() throws -> [User] {
        try read { db in try User.order(Column("name")).fetchAll(db) }
    }

    public func user(named name: String) throws -> User? {
        try read { db in try User.filter(Column("name") == name).fetchOne(db) }
    }

    /// Disables (or enables again) a user: a disabled user's password and tokens are refused.
    public func setDisabled(_ name: String, _ disabled: Bool) throws {
        try write { db in
            try db.execute(sql: "UPDATE user SET disabled = ? WHERE name = ?", arguments: [disabled, name])
            guard db.changesCount == 1 else { throw StoreError.notFound(what: "user \(Validation.shown(userName: name))") }
        }
    }

    /// Gives a user another role.
    public func grant(_ name: String, role: Role) throws {
        try write { db in
            try db.execute(sql: "UPDATE user SET role = ? WHERE name = ?", arguments: [role.rawValue, name])
            guard db.changesCount == 1 else { throw StoreError.notFound(what: "user \(Validation.shown(userName: name))") }
        }
    }

    /// Sets or replaces a user's password (nil removes it: tokens only).
    public func setPassword(_ name: String, _ password: String?) throws {
        let passwordHash = try password.map { password in
            try Validation.checkPassword(password)
            return try PasswordHash.make(password)
        }
        try write { db in
            try db.execute(sql: "UPDATE user SET passwordHash = ? WHERE name = ?", arguments: [passwordHash, name])
            guard db.changesCount == 1 else { throw StoreError.notFound(what: "user \(Validation.shown(userName: name))") }
        }
    }
}
