import Foundation

/// How plugins are confined in one run: the policy, the launcher, and what the
/// operator chose (tighter limits, mechanisms they accept to run without).
public struct SandboxSettings: Sendable {
    public var policy: SandboxPolicy
    /// The `fe-sandbox` executable.
    public var launcher: String
    /// The operator's limits; they can only tighten the policy's.
    public var operatorLimits: ResourceLimits?
    /// Required mechanisms the operator explicitly accepts to run without.
    public var allowWeaker: Set<SandboxMechanism> = []
    /// What the machine and this process allow: limits above it are lowered to it.
    public var host = HostCeiling.current

    public init(
        policy: SandboxPolicy, launcher: String, operatorLimits: ResourceLimits? = nil, allowWeaker: Set<SandboxMechanism> = []
    ) {
        self.policy = policy
        self.launcher = launcher
        self.operatorLimits = operatorLimits
        self.allowWeaker = allowWeaker
    }

    /// Loads the policy from `policyDirectory`; the launcher sits beside the running executable unless given.
    public static func load(policyDirectory: String, launcher: String? = nil) throws -> SandboxSettings {
        let path = launcher ?? launcherBesideExecutable
        guard FileManager.default.isExecutableFile(atPath: path) else { throw SandboxError.launcherMissing(path: path) }
        return SandboxSettings(policy: try SandboxPolicy.load(directory: policyDirectory), launcher: path)
    }

    /// `fe-sandbox` beside the running executable, where builds and installs put it.
    static var launcherBesideExecutable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("fe-sandbox").path
    }

    /// The launcher that supervises plugins run without the sandbox (`--no-sandbox`), if it is installed.
    static let defaultLauncher: String? = {
        let path = launcherBesideExecutable
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    /// The limits a plugin runs with: policy, then manifest, then operator, each only tighter,
    /// and none above what the host allows.
    public func limits(for package: PluginPackage) -> ResourceLimits {
        requestedLimits(for: package).tightened(by: host.limits)
    }

    /// What the host lowered in `package`'s limits, and why (empty when nothing was).
    public func hostNotes(for package: PluginPackage) -> [String] {
        host.notes(lowering: requestedLimits(for: package))
    }

    private func requestedLimits(for package: PluginPackage) -> ResourceLimits {
        policy.limits.tightened(by: package.manifest.limits).tightened(by: operatorLimits)
    }

    /// The launcher's arguments for `package` (the plugin's command comes last, after `--`).
    /// Throws when the manifest asks for an interpreter the policy does not grant.
    public func launcherArguments(for package: PluginPackage, sharedMemory: Bool = false) throws -> [String] {
        let interpreted = try interpreterLaunch(for: package)
        var args: [String] = []
        for rule in policy.syscalls { args += ["--allow", rule] }
        let runtime = Self.swiftRuntimeDirectory
        for path in policy.readPaths {
            switch path {
            case "@swift-runtime": if let runtime { args += ["--read", runtime] }
            case "@plugin-package": args += ["--read", package.directory]
            default: args += ["--read", path]
            }
        }
        for path in policy.execPaths {
            args += ["--exec", path == "@plugin-executable" ? package.executablePath : path]
        }
        args += interpreted?.launcherArguments ?? []
        let l = limits(for: package)
        for (name, value) in [
            ("as", l.addressSpaceBytes), ("cpu", l.cpuSeconds), ("nofile", l.openFiles),
            ("fsize", l.fileSizeBytes), ("nproc", l.processes),
        ] {
            if let value { args += ["--rlimit", "\(name)=\(value)"] }
        }
        for m in policy.require.subtracting(allowWeaker).sorted(by: { $0.rawValue < $1.rawValue }) {
            args += ["--require", m.launcherName]
        }
        // A compiled plugin is executed from the descriptor whose content was hashed (fd 4), so the
        // file cannot be swapped between the check and the exec.
        if interpreted == nil { args += ["--exec-fd", "4"] }
        // The shared tensor memory arrives as 5 and reaches the plugin as 3 (SharedTensorRegion.pluginDescriptor).
        if sharedMemory { args += ["--shared-fd", "5"] }
        args += ["--report-fd", "3", "--"] + (interpreted?.command ?? [package.executablePath])
        return args
    }

    /// Where this process's Swift runtime libraries are: Swift plugins built with
    /// the same toolchain load theirs from there.
    static let swiftRuntimeDirectory: String? = {
        // /proc files report a size of 0, so read to the end rather than by size.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return nil }
        let maps = String(decoding: data, as: UTF8.self)
        for line in maps.split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            return (String(line[slash...]) as NSString).deletingLastPathComponent
        }
        return nil
    }()
}
