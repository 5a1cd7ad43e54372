import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import PluginHost
import StateStore

/// `policy`: the operator's sandbox policy, read and changed without editing JSON by hand.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Show the sandbox policy in use, or grant an interpreter to interpreted plugins.",
        discussion: """
            The policy is the directory given with --sandbox-policy, else $FEATURE_EXTRACTOR_POLICY, else \
            Policies/ beside the executable: sandbox-policy.json and its seccomp allow-list. Every plugin \
            starts under it. A plugin written in an interpreted language (Python, say) is refused until \
            the operator grants its interpreter:

              feature-extractor policy show
              feature-extractor policy allow-interpreter /usr/bin/python3 \\
                  --read-path '/usr/lib/python3*' --syscall sysinfo

            A refused plugin's message names the exact command that grants what its manifest asks for.
            """,
        subcommands: [Show.self, AllowInterpreter.self])

    /// Where the policy is, without the run's --no-sandbox.
    struct Location: ParsableArguments {
        @Option(
            name: .customLong("sandbox-policy"),
            help: ArgumentHelp(
                "Directory with sandbox-policy.json (default: $FEATURE_EXTRACTOR_POLICY, else Policies/ beside the executable).",
                valueName: "dir"))
        var directory: String?

        var resolved: String { SandboxOptions.policyDirectory(directory) }
        var file: String { resolved + "/" + SandboxPolicy.fileName }
    }

    struct Show: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the policy file in use: required mechanisms, limits, paths and interpreter grants.")
        @OptionGroup var location: Location
        @Flag(help: "Print one JSON object (keys: docs/JSON.md).") var json = false

        func execute() throws {
            let policy = try SandboxPolicy.load(directory: location.resolved)
            let view = PolicyView(policy, file: location.file)
            if json { return try JSONOutput.print(view) }
            print("policy file     \(view.policyFile)")
            print("seccomp list    \(view.seccompAllowList) (\(view.syscalls.count) rules)")
            print("requires        \(view.require.joined(separator: ", "))")
            let l = view.limits
            print(
                "limits          address space \(Self.value(l.addressSpaceBytes)) bytes, cpu \(Self.value(l.cpuSeconds)) s, "
                    + "open files \(Self.value(l.openFiles)), file size \(Self.value(l.fileSizeBytes)) bytes, "
                    + "processes \(Self.value(l.processes))")
            for note in view.hostNotes { print("on this host    \(note)") }
            print("read paths      \(view.readPaths.joined(separator: " "))")
            print("exec paths      \(view.execPaths.joined(separator: " "))")
            guard !view.interpreters.isEmpty else {
                print("interpreters    none: interpreted plugins are refused ('policy allow-interpreter' grants one)")
                return
            }
            print("interpreters")
            for g in view.interpreters {
                print(
                    "  \(g.path)  read: \(g.readPaths.isEmpty ? "-" : g.readPaths.joined(separator: " "))  "
                        + "syscalls: \(g.syscalls.isEmpty ? "-" : g.syscalls.joined(separator: " "))")
            }
        }

        static func value(_ v: UInt64?) -> String { v.map(String.init) ?? "unlimited" }
    }

    struct AllowInterpreter: ToolCommand {
        static let configuration = CommandConfiguration(
            commandName: "allow-interpreter",
            abstract: "Let plugins run under an interpreter, with the most they may ask for (writes the policy file).",
            discussion: """
                Adds (or replaces) the interpreter's entry in "allow_interpreters" of the policy in use, \
                atomically, and records it in the audit log. A plugin's manifest may then ask for this \
                interpreter, for read paths beneath the --read-path ones and for the listed system calls; \
                it gets nothing it did not ask for. Each --syscall must be a name libseccomp knows \
                (NAME, or NAME:ARG=VALUE to allow it only with that argument).

                Example (the bundled Python example plugin's needs):
                  feature-extractor policy allow-interpreter /usr/bin/python3 \\
                      --read-path '/usr/lib/python3*' --read-path '/usr/local/lib/python3*' \\
                      --syscall sysinfo --syscall getdents64 --syscall ioctl:1=0x5451
                """)
        @Argument(help: ArgumentHelp("The interpreter's absolute path.", valueName: "path")) var interpreter: String
        @Option(
            name: .customLong("read-path"),
            help: ArgumentHelp("A directory or pattern its plugins may read beneath (repeatable).", valueName: "path"))
        var readPaths: [String] = []
        @Option(
            name: .customLong("syscall"),
            help: ArgumentHelp("A system call its plugins may ask for (repeatable).", valueName: "name[:arg=value]"))
        var syscalls: [String] = []
        @OptionGroup var location: Location
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let file = location.file
            // The whole file must load as a run would load it before anything is changed.
            _ = try SandboxPolicy.load(directory: location.resolved)
            // The loader's own checks, as a usage error: nothing is written when one fails.
            do {
                try InterpreterGrant(path: interpreter, readPaths: readPaths, syscalls: syscalls).validate(policyPath: file)
            } catch let SandboxError.badPolicy(_, reason) {
                throw ConfigurationError.invalid(key: "allow-interpreter", reason: "\(reason); \(file) is unchanged")
            }
            try Self.checkKnownToSeccomp(syscalls)
            let db = try store.open()
            let actor = try store.actor(in: db, for: .manageTrust)

            let data = try PluginLocator.readLimited(file, limit: 1 << 20)
            guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw SandboxError.badPolicy(path: file, reason: "must hold a JSON object")
            }
            var entries = (object["allow_interpreters"] as? [Any]) ?? []
            entries.removeAll { entry in
                let path = (entry as? String) ?? ((entry as? [String: Any])?["path"] as? String)
                return path == interpreter
            }
            entries.append(["path": interpreter, "read_paths": readPaths, "syscalls": syscalls])
            object["allow_interpreters"] = entries
            let text = try JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            let writer = try AtomicFileWriter(path: file, mode: Self.mode(of: file))
            try writer.write(String(decoding: text, as: UTF8.self) + "\n")
            try writer.commit()
            // Read back as a run reads it: what was written is what will be enforced.
            _ = try SandboxPolicy.load(directory: location.resolved)
            try db.append(
                AuditEvent(
                    actor: actor, action: "policy.allow_interpreter", target: interpreter, outcome: .success,
                    details: [
                        "policy": file, "read_paths": readPaths.joined(separator: " "),
                        "syscalls": syscalls.joined(separator: " "),
                    ]))
            print("allowed \(interpreter) in \(file)")
            print("  read paths: \(readPaths.isEmpty ? "none" : readPaths.joined(separator: " "))")
            print("  system calls: \(syscalls.isEmpty ? "none" : syscalls.joined(separator: " "))")
            if !FileManager.default.isExecutableFile(atPath: interpreter) {
                Diagnostics.warn(
                    "\(interpreter) is not an executable file on this machine: plugins asking for it are refused here")
            }
        }

        /// Asks the launcher (which links libseccomp) which names it does not know.
        static func checkKnownToSeccomp(_ rules: [String]) throws {
            let names = rules.map { String($0.split(separator: ":", maxSplits: 1)[0]) }
            guard !names.isEmpty else { return }
            let launcher = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("fe-sandbox").path
            guard FileManager.default.isExecutableFile(atPath: launcher) else {
                throw SandboxError.launcherMissing(path: launcher)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = ["--resolve"] + names
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let unknown = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ConfigurationError.invalid(
                    key: "--syscall",
                    reason:
                        "\(unknown.map { "'\($0)'" }.joined(separator: ", ")) is not a system call libseccomp knows; the policy is unchanged"
                )
            }
        }

        /// The policy file keeps its permissions.
        static func mode(of path: String) -> mode_t {
            var st = stat()
            return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
        }
    }
}

/// The policy as `policy show --json` and `doctor --json` print it.
struct PolicyView: Encodable {
    var policyFile: String
    var seccompAllowList: String
    var syscalls: [String]
    var require: [String]
    var limits: ResourceLimits
    /// The limits plugins get here: the policy's, lowered to what this machine and process allow.
    var hostLimits: ResourceLimits
    /// Why a host limit is lower than the policy's.
    var hostNotes: [String]
    var readPaths: [String]
    var execPaths: [String]
    var interpreters: [InterpreterGrant]

    init(_ policy: SandboxPolicy, file: String) {
        policyFile = policy.path ?? file
        seccompAllowList = PathComponents.directory(of: policyFile) + "/" + policy.seccompAllowList
        syscalls = policy.syscalls
        require = policy.require.map(\.rawValue).sorted()
        limits = policy.limits
        hostLimits = policy.limits.tightened(by: HostCeiling.current.limits)
        hostNotes = HostCeiling.current.notes(lowering: policy.limits)
        readPaths = policy.readPaths
        execPaths = policy.execPaths
        interpreters = policy.interpreters
    }

    enum CodingKeys: String, CodingKey {
        case policyFile = "policy_file", seccompAllowList = "seccomp_allow_list", syscalls, require, limits
        case hostLimits = "host_limits", hostNotes = "host_notes"
        case readPaths = "read_paths", execPaths = "exec_paths", interpreters
    }
}
