import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import StateStore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read, verify and export the tamper-evident audit log.",
        discussion: """
            Entries are append-only and chained by SHA-256, each sealed with an HMAC keyed by a \
            0600 file beside the database. `verify` names the first entry that was edited, deleted \
            or reordered, and prints the chain's anchor (count:head). Keep that elsewhere and pass \
            it back with `verify --anchor` later: the only way to see that the newest entries were cut off.
            """,
        subcommands: [List.self, Verify.self, Export.self])

    struct Filter: ParsableArguments {
        @Option(help: "Only this actor.") var actor: String?
        @Option(help: "Only this action (e.g. model.save).") var action: String?
        @Option(help: "Only entries at or after this time (ISO 8601).") var since: String?
        @Option(help: "Only entries before this time (ISO 8601).") var until: String?
        @Option(help: "At most this many entries.") var limit: Int?

        func filter() throws -> AuditFilter {
            func date(_ s: String?, _ name: String) throws -> Date? {
                guard let s else { return nil }
                let f = ISO8601DateFormatter()
                if let d = f.date(from: s) { return d }
                f.formatOptions = [.withFullDate]
                guard let d = f.date(from: s) else {
                    throw ValidationError("--\(name) must be ISO 8601, e.g. 2026-11-26 or 2026-11-26T10:00:00Z")
                }
                return d
            }
            return AuditFilter(
                actor: actor, action: action, since: try date(since, "since"), until: try date(until, "until"), limit: limit)
        }
    }

    struct List: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, oldest first.")
        @OptionGroup var filter: Filter
        @Flag(help: "JSON output (one array).") var json = false
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let f = try filter.filter()
            let db = try store.open()
            _ = try store.actor(in: db, for: .readAudit)
            let entries = try db.entries(f)
            if json {
                print(String(decoding: try JSONOutput.encoder().encode(entries), as: UTF8.self))
            } else {
                let df = ISO8601DateFormatter()
                for e in entries {
                    print("\(e.id)\t\(df.string(from: e.timestamp))\t\(e.actor)\t\(e.action)\t\(e.target)\t\(e.outcome.rawValue)")
                }
            }
        }
    }

    struct Verify: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the whole chain; exit 65 and name the first broken entry if it was tampered with.")
        @Option(
            help: ArgumentHelp("An anchor an earlier `verify` printed; the log must still contain it.", valueName: "count:head"))
        var anchor: String?
        @Flag(help: "Print one JSON object (keys: docs/JSON.md); a broken chain still exits 65.") var json = false
        @OptionGroup var store: StoreOptions

        /// What `--json` prints: `intact` and either the anchor's parts or the first broken entry.
        struct Report: Encodable {
            var intact: Bool
            var entries: Int?, head: String?, anchor: String?
            var brokenEntry: Int64?, reason: String?
            enum CodingKeys: String, CodingKey {
                case intact, entries, head, anchor, reason
                case brokenEntry = "broken_entry"
            }
        }

        func validate() throws {
            if let anchor, AuditAnchor(anchor) == nil {
                throw ValidationError(
                    "--anchor must be COUNT:HEAD as `audit verify` prints it (a number, a colon, 64 hex digits)")
            }
        }

        func execute() throws {
            let db = try store.open()
            _ = try store.actor(in: db, for: .readAudit)
            switch try db.verify(anchor: anchor.flatMap(AuditAnchor.init)) {
            case .intact(let count, let head):
                if json {
                    return try JSONOutput.print(
                        Report(
                            intact: true, entries: count, head: head, anchor: "\(AuditAnchor(count: count, head: head))"))
                }
                print("intact: \(count) entries, head \(head)")
                print("anchor: \(AuditAnchor(count: count, head: head))")
            case .broken(let id, let reason):
                if json {
                    try JSONOutput.print(Report(intact: false, brokenEntry: id, reason: reason))
                } else {
                    print("BROKEN at entry \(id): \(reason)")
                }
                throw ExitCode(ExitCodes.badData)
            }
        }
    }

    struct Export: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the log as JSON Lines (one entry per line) to stdout or, atomically and 0600, a file.")
        @OptionGroup var filter: Filter
        @Option(help: "Output file (default: stdout).") var output: String?
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let f = try filter.filter()
            let db = try store.open()
            _ = try store.actor(in: db, for: .readAudit)
            let e = JSONOutput.encoder(pretty: false)
            var text = ""
            for entry in try db.entries(f) { text += String(decoding: try e.encode(entry), as: UTF8.self) + "\n" }
            if let output {
                // Whole or not at all, and private: it names users, addresses and what they did.
                let file = try AtomicFileWriter(path: output, mode: 0o600)
                try file.write(text)
                try file.commit()
            } else {
                print(text, terminator: "")
            }
        }
    }
}
