import FeatureExtractorSupport
import Foundation

/// `"sandbox"` in a plugin's manifest: what a plugin written in an interpreted language asks
/// for beyond the default confinement. It is part of the signed manifest, so it is the
/// publisher's request, and it is honoured only as far as the operator's policy allows
/// (`allow_interpreters` in `sandbox-policy.json`, see `InterpreterGrant`).
///
/// ```json
/// "sandbox": {
///   "interpreter": "/usr/bin/python3",
///   "arguments": ["-I", "-S"],
///   "read_paths": ["/usr/lib/python3*", "/usr/local/lib/python3*"],
///   "syscalls": ["sysinfo", "getdents64", "ioctl:1=0x5451"]
/// }
/// ```
/// The host then starts `<interpreter> [arguments] <executable>` (the script's `#!` line is not used):
/// the interpreter gets the execute right, the read paths are added to the policy's, and the
/// system calls to its allow-list.
public struct SandboxRequest: Codable, Sendable, Equatable {
    /// Absolute path of the interpreter that runs the executable (a symbolic link is resolved).
    public var interpreter: String
    /// Options for the interpreter, before the executable (flags only, such as `-I`).
    public var arguments: [String]?
    /// Extra read-only paths; `*`, `?` and `[...]` are expanded on the machine that runs the plugin.
    public var readPaths: [String]?
    /// Extra system calls, in the allow-list's syntax (`name` or `name:ARG=VALUE`).
    public var syscalls: [String]?

    enum CodingKeys: String, CodingKey {
        case interpreter, arguments, syscalls
        case readPaths = "read_paths"
    }

    public init(interpreter: String, arguments: [String]? = nil, readPaths: [String]? = nil, syscalls: [String]? = nil) {
        self.interpreter = interpreter
        self.arguments = arguments
        self.readPaths = readPaths
        self.syscalls = syscalls
    }

    static let maxEntries = 32

    func validate(source: String) throws {
        func bad(_ why: String) -> PluginError { .badManifest(source, "sandbox: \(why)") }
        guard Self.isPlainAbsolutePath(interpreter) else {
            throw bad("interpreter '\(DisplayText.escaped(interpreter, limit: 80))' must be an absolute path without '..'")
        }
        let options = arguments ?? []
        // Flags only: nothing that takes a value (`-c CODE`, `-m MODULE`) and so could run other code than the pinned script.
        guard options.count <= 8,
            options.allSatisfy({
                $0.range(of: "^-[A-Za-z]{1,8}$", options: .regularExpression) != nil
                    && !$0.dropFirst().contains(where: "cmWXQ".contains)
            })
        else {
            throw bad("arguments must be at most 8 flags such as \"-I\" (a dash and letters; no -c, -m, -W, -X, -Q)")
        }
        let paths = readPaths ?? [], calls = syscalls ?? []
        guard paths.count <= Self.maxEntries, calls.count <= Self.maxEntries else {
            throw bad("at most \(Self.maxEntries) read_paths and \(Self.maxEntries) syscalls")
        }
        for path in paths where !Self.isPlainAbsolutePath(path) {
            throw bad("read path '\(DisplayText.escaped(path, limit: 80))' must be an absolute path without '..'")
        }
        for call in calls where !Self.isSyscallRule(call) {
            throw bad("syscall '\(DisplayText.escaped(call, limit: 80))' is not NAME or NAME:ARG=VALUE")
        }
    }

    static func isPlainAbsolutePath(_ path: String) -> Bool {
        path.hasPrefix("/") && path.utf8.count <= 1024 && !path.split(separator: "/").contains("..")
            && !path.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    static func isSyscallRule(_ rule: String) -> Bool {
        rule.range(of: #"^[a-z0-9_]+(:[0-5]=(0x[0-9a-fA-F]+|[0-9]+))?$"#, options: .regularExpression) != nil
    }
}

/// One entry of `allow_interpreters` in `sandbox-policy.json`: an interpreter the operator
/// lets plugins run under, and the most such a plugin may ask for. Either a path alone
/// (`"/usr/bin/python3"`: the interpreter may run, nothing more may be asked) or
///
/// ```json
/// {"path": "/usr/bin/python3",
///  "read_paths": ["/usr/lib/python3*", "/usr/local/lib/python3*"],
///  "syscalls": ["sysinfo", "getdents64", "ioctl:1=0x5451"]}
/// ```
/// A manifest's read paths must each lie beneath one of `read_paths` (compared after
/// expanding patterns and resolving symbolic links on this machine), and its system calls
/// must each be listed in `syscalls`. The shipped policy allows no interpreter.
public struct InterpreterGrant: Sendable, Equatable, Codable {
    public var path: String
    public var readPaths: [String]
    public var syscalls: [String]

    enum CodingKeys: String, CodingKey {
        case path, syscalls
        case readPaths = "read_paths"
    }

    public init(path: String, readPaths: [String] = [], syscalls: [String] = []) {
        self.path = path
        self.readPaths = readPaths
        self.syscalls = syscalls
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let path = try? single.decode(String.self) {
            self.init(path: path)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            path: try c.decode(String.self, forKey: .path),
            readPaths: try c.decodeIfPresent([String].self, forKey: .readPaths) ?? [],
            syscalls: try c.decodeIfPresent([String].self, forKey: .syscalls) ?? [])
    }

    /// Checks the entry's own form; `policyPath` names the file in errors.
    public func validate(policyPath: String) throws {
        func bad(_ why: String) -> SandboxError { .badPolicy(path: policyPath, reason: "allow_interpreters: \(why)") }
        guard SandboxRequest.isPlainAbsolutePath(path) else {
            throw bad("'\(path.prefix(80))' must be an absolute path without '..'")
        }
        for p in readPaths where !SandboxRequest.isPlainAbsolutePath(p) {
            throw bad("read path '\(p.prefix(80))' of \(path) must be an absolute path without '..'")
        }
        for s in syscalls where !SandboxRequest.isSyscallRule(s) {
            throw bad("syscall '\(s.prefix(80))' of \(path) is not NAME or NAME:ARG=VALUE")
        }
    }
}

/// How an interpreted plugin is launched: what the launcher must add, and the command line.
struct InterpreterLaunch: Equatable {
    /// `--exec`, `--read` and `--allow` arguments for the launcher.
    var launcherArguments: [String]
    /// `[interpreter, options..., script]`, the command after `--`.
    var command: [String]
}

extension SandboxSettings {
    /// The launch of a plugin whose manifest asks for an interpreter, if the policy allows it.
    /// Refuses (`PluginError.refused`, naming the policy key) whatever the policy does not grant.
    func interpreterLaunch(for package: PluginPackage) throws -> InterpreterLaunch? {
        guard let request = package.manifest.sandbox else { return nil }
        let manifestPath = package.directory + "/" + PluginManifest.fileName
        func refuse(_ why: String) -> PluginError { .refused(path: manifestPath, reason: why) }
        let asked = "asks to run under the interpreter \(request.interpreter)"
        let grants = policy.interpreters
        let file = policy.path ?? SandboxPolicy.fileName
        // What an operator who accepts this plugin runs: the grant it asks for, in the policy in use.
        let fix = "An operator who accepts it runs: \(Self.allowCommand(for: request, policyPath: policy.path))"
        guard !grants.isEmpty else {
            throw refuse(
                "\(asked), but the operator's sandbox policy \(file) allows no interpreters "
                    + "(its \"allow_interpreters\" is empty). \(fix)")
        }
        guard let interpreter = Self.realPath(request.interpreter) else {
            throw refuse("\(asked), which does not exist on this machine")
        }
        guard let grant = grants.first(where: { Self.realPath($0.path) == interpreter }) else {
            throw refuse(
                "\(asked), which is not among the interpreters the sandbox policy \(file) allows "
                    + "(\"allow_interpreters\": \(grants.map(\.path).joined(separator: ", "))). \(fix)")
        }
        var st = stat()
        guard stat(interpreter, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(interpreter, X_OK) == 0 else {
            throw refuse("\(asked), but \(interpreter) is not an executable file")
        }
        var args = ["--exec", interpreter, "--read", package.executablePath]
        for rule in request.syscalls ?? [] {
            guard grant.syscalls.contains(rule) else {
                throw refuse(
                    "asks for the system call '\(rule)', which the sandbox policy \(file) does not grant to plugins run by "
                        + "\(grant.path) (its \"syscalls\": \(grant.syscalls.isEmpty ? "none" : grant.syscalls.joined(separator: ", "))). "
                        + fix)
            }
            args += ["--allow", rule]
        }
        let allowed = grant.readPaths.flatMap(Self.expand).compactMap(Self.realPath)
        var granted: [String] = []
        for pattern in request.readPaths ?? [] {
            for path in Self.expand(pattern) {
                guard let resolved = Self.realPath(path) else { continue }
                guard allowed.contains(where: { resolved == $0 || $0 == "/" || resolved.hasPrefix($0 + "/") }) else {
                    throw refuse(
                        "asks to read \(path), which the sandbox policy \(file) does not grant to plugins run by \(grant.path) "
                            + "(its \"read_paths\": \(grant.readPaths.isEmpty ? "none" : grant.readPaths.joined(separator: ", "))). "
                            + fix)
                }
                granted.append(resolved)
            }
        }
        // The launcher takes 64 read paths in all; the policy's own use about ten.
        guard granted.count <= SandboxRequest.maxEntries else {
            throw refuse("asks to read more than \(SandboxRequest.maxEntries) paths (after expanding its patterns)")
        }
        for path in granted { args += ["--read", path] }
        return InterpreterLaunch(
            launcherArguments: args, command: [interpreter] + (request.arguments ?? []) + [package.executablePath])
    }

    /// The command that grants what `request` asks for in the policy at `policyPath` (quoted for a shell).
    static func allowCommand(for request: SandboxRequest, policyPath: String?) -> String {
        func quoted(_ s: String) -> String {
            s.allSatisfy { $0.isLetter || $0.isNumber || "/._-:=+@".contains($0) }
                ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        var words = [
            "feature-extractor", "policy", "allow-interpreter", quoted(DisplayText.escaped(request.interpreter, limit: 200)),
        ]
        for path in request.readPaths ?? [] { words += ["--read-path", quoted(DisplayText.escaped(path, limit: 200))] }
        for call in request.syscalls ?? [] { words += ["--syscall", quoted(DisplayText.escaped(call, limit: 80))] }
        if let policyPath { words += ["--sandbox-policy", quoted(PathComponents.directory(of: policyPath))] }
        return words.joined(separator: " ")
    }

    /// The canonical path (symbolic links resolved), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// The existing paths a pattern names (`*`, `?`, `[...]`); a plain path names itself if it exists.
    static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }
}
