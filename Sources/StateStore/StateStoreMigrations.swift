import GRDB

/// The schema, as named steps applied in order and recorded in `grdb_migrations`.
///
/// A step, once released, never changes: a database made by any earlier version upgrades in
/// place by running the steps it lacks. So steps only use literal SQL and values, never
/// code (such as ``StateStore/defaultPermissions``) that may evolve later. A database
/// holding a step this list does not know was made by a newer version and is refused.
enum StateStoreMigrations {
    static let accessControlAndAudit = "v1-access-control-and-audit"
    static let runsAndStatistics = "v2-runs-and-statistics"
    static let trust = "v3-trust"
    static let remote = "v4-remote"
    static let pcaBaseline = "v5-pca-baseline"
    static let tokenKeyPairs = "v6-token-key-pairs"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(accessControlAndAudit, migrate: createAccessControlAndAudit)
        migrator.registerMigration(runsAndStatistics, migrate: createRunsAndStatistics)
        migrator.registerMigration(trust, migrate: createTrust)
        migrator.registerMigration(remote, migrate: createRemote)
        migrator.registerMigration(pcaBaseline, migrate: addPCABaseline)
        migrator.registerMigration(tokenKeyPairs, migrate: makeTokensKeyPairs)
        return migrator
    }

    private static func createAccessControlAndAudit(_ db: Database) throws {
        try db.create(table: "user") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("role", .text).notNull()
            t.column("disabled", .boolean).notNull().defaults(to: false)
            // Self-describing salted slow hash (see PasswordHash); NULL: token access only.
            t.column("passwordHash", .text)
            t.column("createdAt", .text).notNull()
        }
        try db.create(table: "apiToken") { t in
            t.primaryKey("id", .text)
            t.column("userID", .integer).notNull().indexed().references("user", onDelete: .cascade)
            t.column("label", .text).notNull()
            // Only a salted slow hash of the secret; the token text is shown once, never stored.
            t.column("secretHash", .text).notNull()
            t.column("createdAt", .text).notNull()
            t.column("expiresAt", .text)
            t.column("revoked", .boolean).notNull().defaults(to: false)
        }
        try db.create(table: "permission", options: .withoutRowID) { t in
            t.column("role", .text).notNull()
            t.column("action", .text).notNull()
            t.primaryKey(["role", "action"])
        }
        try db.execute(
            sql: """
                INSERT INTO permission (role, action) VALUES
                  ('viewer', 'config.read'), ('viewer', 'model.read'), ('viewer', 'audit.read'),
                  ('operator', 'config.read'), ('operator', 'model.read'), ('operator', 'audit.read'),
                  ('operator', 'run'), ('operator', 'config.write'), ('operator', 'model.write'), ('operator', 'log.write'),
                  ('admin', 'config.read'), ('admin', 'model.read'), ('admin', 'audit.read'),
                  ('admin', 'run'), ('admin', 'config.write'), ('admin', 'model.write'), ('admin', 'log.write'),
                  ('admin', 'users.manage'), ('admin', 'trust.manage')
                """)
        try db.create(table: "auditEntry") { t in
            // Assigned by `append` (previous id + 1), because the hash covers it.
            t.primaryKey("id", .integer)
            t.column("timestamp", .text).notNull().indexed()
            t.column("actor", .text).notNull()
            t.column("action", .text).notNull()
            t.column("target", .text).notNull()
            t.column("outcome", .text).notNull()
            t.column("detailsDigest", .text).notNull()
            t.column("details", .text).notNull()
            t.column("previousHash", .text).notNull()
            t.column("hash", .text).notNull()
            t.column("mac", .text).notNull()
        }
        // Stops mistakes and casual edits; deliberate tampering (dropping these) is what
        // the hash chain and the MAC are for.
        try db.execute(
            sql: """
                CREATE TRIGGER auditEntry_append_only_update BEFORE UPDATE ON auditEntry
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER auditEntry_append_only_delete BEFORE DELETE ON auditEntry
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
    }

    private static func createRunsAndStatistics(_ db: Database) throws {
        // Content-addressed: runs with the same merged configuration share one row.
        try db.create(table: "configuration", options: .withoutRowID) { t in
            t.primaryKey("digest", .text)
            t.column("json", .text).notNull()
            t.column("createdAt", .text).notNull()
        }
        try db.create(table: "run") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("actor", .text).notNull()
            t.column("command", .text).notNull()
            t.column("startedAt", .text).notNull().indexed()
            t.column("finishedAt", .text)
            t.column("outcome", .text)
            t.column("seconds", .double)
            t.column("rows", .integer)
            t.column("bytes", .integer)
            t.column("configDigest", .text).references("configuration")
            // JSON array of where the configuration's values came from, lowest precedence first.
            t.column("configSources", .text)
        }
        try db.create(table: "runStatistic") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("runID", .integer).notNull().indexed().references("run", onDelete: .cascade)
            t.column("position", .integer).notNull()
            t.column("column", .text)
            t.column("interfaceSize", .integer).notNull()
            t.column("epochs", .integer).notNull()
            t.column("mse", .double)
            t.column("mae", .double)
            t.column("windowMSE", .double)
            t.column("baselineMSE", .double)
            t.column("trainingSeconds", .double).notNull()
            t.column("windowsPerSecond", .double)
        }
    }

    private static func createTrust(_ db: Database) throws {
        try db.create(table: "trustedKey", options: .withoutRowID) { t in
            t.primaryKey("id", .text)
            t.column("publicKey", .text).notNull()
            t.column("name", .text).notNull()
            t.column("addedAt", .text).notNull()
            t.column("revokedAt", .text)
        }
        // Anti-rollback: the highest manifest version seen per plugin and signing key.
        try db.create(table: "pluginVersion", options: .withoutRowID) { t in
            t.column("plugin", .text).notNull()
            t.column("keyID", .text).notNull().references("trustedKey")
            t.column("version", .text).notNull()
            t.column("updatedAt", .text).notNull()
            t.primaryKey(["plugin", "keyID"])
        }
    }

    /// The HTTPS server's state (nonces seen, configs, models, received logs) and the
    /// client's spool of log events that could not be delivered yet.
    private static func createRemote(_ db: Database) throws {
        try db.create(table: "requestNonce", options: .withoutRowID) { t in
            t.primaryKey("nonce", .text)
            t.column("expiresAt", .text).notNull().indexed()
        }
        try db.create(table: "remoteConfig", options: .withoutRowID) { t in
            t.column("name", .text).notNull()
            t.column("version", .integer).notNull()
            t.column("json", .text).notNull()
            t.column("sha256", .text).notNull()
            t.column("author", .text).notNull()
            t.column("createdAt", .text).notNull()
            t.primaryKey(["name", "version"])
        }
        try db.create(table: "remoteModel", options: .withoutRowID) { t in
            t.column("name", .text).notNull()
            t.column("version", .text).notNull()
            t.column("sha256", .text).notNull()
            t.column("signature", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("author", .text).notNull()
            t.column("createdAt", .text).notNull()
            t.primaryKey(["name", "version"])
        }
        try db.create(table: "remoteLogEvent") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("actor", .text).notNull()
            t.column("receivedAt", .text).notNull()
            t.column("event", .text).notNull()
        }
        try db.create(table: "spooledEvent") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("url", .text).notNull()
            t.column("payload", .text).notNull()
            t.column("createdAt", .text).notNull()
        }
    }

    /// Runs report PCA of their interface size beside the window-mean baseline.
    private static func addPCABaseline(_ db: Database) throws {
        try db.alter(table: "runStatistic") { t in t.add(column: "pcaBaselineMSE", .double) }
    }

    /// Tokens become Ed25519 key pairs (issue 14): requests carry a signature, never the token,
    /// and the server keeps only the public half (and the key of its response MACs, which signs
    /// no request), so neither a captured request nor this database lets anyone sign. Earlier
    /// tokens' slow hashes are dropped: those tokens are refused with "re-issue" (a hash kept
    /// would only be something to attack offline), and their rows stay for listings and audits.
    private static func makeTokensKeyPairs(_ db: Database) throws {
        try db.alter(table: "apiToken") { t in
            t.add(column: "publicKey", .blob)
            t.add(column: "responseKey", .blob)
        }
        try db.execute(sql: "ALTER TABLE apiToken DROP COLUMN secretHash")
    }
}
