import Foundation

/// The sandbox policy an operator keeps in `Policies/`: what a plugin may call,
/// read and execute, its default resource limits, and which confinement
/// mechanisms are required (a required one the kernel lacks stops the launch).
public struct SandboxPolicy: Sendable, Equatable {
    /// Allowed system calls in the launcher's rule syntax: `name` or `name:ARG=VALUE`.
    public var syscalls: [String]
    public var require: Set<SandboxMechanism>
    public var limits: ResourceLimits
    /// Read-only paths; `@swift-runtime` and `@plugin-package` are filled in per plugin.
    public var readPaths: [String]
    /// Executable files; `@plugin-executable` is filled in per plugin.
    public var execPaths: [String]
    /// Interpreters plugins may ask to run under (`allow_interpreters`), each with the most
    /// such a plugin may be granted. Empty, as shipped: interpreted plugins are refused.
    public var interpreters: [InterpreterGrant] = []
    /// The file it was loaded from (nil for a policy made in code): messages name it.
    public var path: String?
    /// The seccomp allow-list's file name, beside the policy.
    public var seccompAllowList = "seccomp-allow.txt"

    public static let fileName = "sandbox-policy.json"

    /// What the launcher calls between loading the filter and executing the plugin (fe-sandbox's
    /// `missing_launcher_call` checks the same): without them every launch would hang.
    static let launcherCalls = ["read", "write", "close", "dup3", "fcntl", "exit_group", "execve", "execveat"]

    /// Reads `sandbox-policy.json` and its allow-list from `directory`.
    public static func load(directory: String) throws -> SandboxPolicy {
        let path = directory + "/" + fileName
        let file: PolicyFile
        do {
            file = try JSONDecoder().decode(PolicyFile.self, from: try readFile(path))
        } catch let error as SandboxError {
            throw error
        } catch {
            throw SandboxError.badPolicy(path: path, reason: "not a valid policy (\(error))")
        }
        guard file.version == 1 else {
            throw SandboxError.badPolicy(path: path, reason: "version \(file.version) is not supported")
        }
        guard !file.seccompAllowList.contains("/") else {
            throw SandboxError.badPolicy(path: path, reason: "seccomp_allow_list must name a file beside the policy")
        }
        var require = Set<SandboxMechanism>()
        for name in file.require {
            guard let m = SandboxMechanism(rawValue: name) else {
                throw SandboxError.badPolicy(
                    path: path,
                    reason:
                        "unknown mechanism '\(name)' in require (known: \(SandboxMechanism.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            require.insert(m)
        }
        let listPath = directory + "/" + file.seccompAllowList
        let text = String(decoding: try readFile(listPath), as: UTF8.self)
        var syscalls: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(
                in: .whitespaces)
            if line.isEmpty { continue }
            guard line.range(of: #"^[a-z0-9_]+(:[0-5]=(0x[0-9a-fA-F]+|[0-9]+))?$"#, options: .regularExpression) != nil else {
                throw SandboxError.badPolicy(
                    path: "\(listPath):\(number + 1)", reason: "'\(line.prefix(80))' is not NAME or NAME:ARG=VALUE")
            }
            syscalls.append(line)
        }
        for call in launcherCalls where !syscalls.contains(call) {
            throw SandboxError.badPolicy(
                path: listPath,
                reason: "'\(call)' must be allowed (without conditions): the launcher itself calls it after loading the filter, "
                    + "to hand over its descriptors and execute the plugin")
        }
        let interpreters = file.allowInterpreters ?? []
        for grant in interpreters { try grant.validate(policyPath: path) }
        return SandboxPolicy(
            syscalls: syscalls, require: require, limits: file.limits, readPaths: file.readPaths, execPaths: file.execPaths,
            interpreters: interpreters, path: path, seccompAllowList: file.seccompAllowList)
    }

    private static func readFile(_ path: String) throws -> Data {
        do {
            return try PluginLocator.readLimited(path, limit: 1 << 20)
        } catch {
            throw SandboxError.badPolicy(
                path: path, reason: "cannot be read (missing, unreadable or over 1 MiB); pass --sandbox-policy DIR")
        }
    }

    private struct PolicyFile: Decodable {
        var version: Int
        var seccompAllowList: String
        var require: [String]
        var limits: ResourceLimits
        var readPaths: [String]
        var execPaths: [String]
        var allowInterpreters: [InterpreterGrant]?

        enum CodingKeys: String, CodingKey {
            case version, require, limits
            case seccompAllowList = "seccomp_allow_list", readPaths = "read_paths", execPaths = "exec_paths"
            case allowInterpreters = "allow_interpreters"
        }
    }
}

/// The confinement mechanisms a policy can require.
public enum SandboxMechanism: String, Sendable, CaseIterable, Codable {
    case landlock
    case userNamespace = "user_namespace"
    case networkNamespace = "network_namespace"

    /// The launcher's name for it.
    var launcherName: String {
        switch self {
        case .landlock: "landlock"
        case .userNamespace: "userns"
        case .networkNamespace: "netns"
        }
    }

    init?(launcherName: String) {
        guard let m = SandboxMechanism.allCases.first(where: { $0.launcherName == launcherName }) else { return nil }
        self = m
    }
}

/// A policy that cannot be used, or a sandbox that cannot be set up.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    case badPolicy(path: String, reason: String)
    case launcherMissing(path: String)

    public var description: String {
        switch self {
        case .badPolicy(let path, let reason): "sandbox policy \(path): \(reason)"
        case .launcherMissing(let path):
            "the sandbox launcher \(path) is missing or not executable; build it (swift build) or reinstall"
        }
    }
}
