import CProcessSpawn
import Crypto
import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// How a child process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let sig): return "was killed by signal \(sig) (\(ExitStatus.signalName(sig)))"
        }
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGILL: "SIGILL"
        case SIGTERM: "SIGTERM"
        case SIGSYS: "SIGSYS, a forbidden system call"
        case SIGXCPU: "SIGXCPU, CPU time limit"
        case SIGXFSZ: "SIGXFSZ, file size limit"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGTRAP: "SIGTRAP, a Swift runtime trap"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(s)"
        }
    }
}

/// A spawned child with pipes on its stdin, stdout and stderr.
final class ChildProcess {
    let pid: pid_t
    /// Parent ends: write to the child's stdin, read its stdout and stderr.
    let stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32
    private(set) var status: ExitStatus?
    /// Read end of the sandbox launcher's report pipe, or -1.
    private(set) var reportFD: Int32 = -1
    /// The child's peak resident set size, known once it has been reaped.
    /// The plugin's peak resident memory, once `recordPeakRSS` has seen it.
    private(set) var peakRSSKilobytes: Int?

    private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    /// Starts `executable` with an explicit environment in `workingDirectory`.
    /// With `reportChannel`, the child also gets descriptor 3, a pipe whose read end is `reportFD`;
    /// with `executableFD`, descriptor 4 is that open file (the launcher executes it by descriptor).
    /// `sharedFD` follows them (5 for the launcher, 3 for a plugin run directly).
    static func spawn(
        executable: String, arguments: [String], environment: [String: String],
        workingDirectory: String, reportChannel: Bool = false, executableFD: Int32 = -1, sharedFD: Int32 = -1
    ) throws -> ChildProcess {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard fe_pipe_cloexec(&input) == 0 else {
            throw PluginError.launchFailed(plugin: executable, reason: "pipe failed (errno \(errno))")
        }
        guard fe_pipe_cloexec(&output) == 0 else {
            close(input[0]); close(input[1])
            throw PluginError.launchFailed(plugin: executable, reason: "pipe failed (errno \(errno))")
        }
        guard fe_pipe_cloexec(&errors) == 0 else {
            [input[0], input[1], output[0], output[1]].forEach { close($0) }
            throw PluginError.launchFailed(plugin: executable, reason: "pipe failed (errno \(errno))")
        }
        // Tensors are tens to hundreds of KiB: a larger pipe buffer saves context switches.
        _ = fe_set_pipe_size(input[1], 1 << 20)
        _ = fe_set_pipe_size(output[1], 1 << 20)

        var report: [Int32] = [-1, -1]
        if reportChannel && fe_pipe_cloexec(&report) != 0 {
            [input[0], input[1], output[0], output[1], errors[0], errors[1]].forEach { close($0) }
            throw PluginError.launchFailed(plugin: executable, reason: "pipe failed (errno \(errno))")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let inherited = reportChannel ? [report[1], executableFD, sharedFD] : [sharedFD]
        let rc = fe_spawn(
            executable, argv, envp, workingDirectory, input[0], output[1], errors[1], inherited, Int32(inherited.count), &pid)
        close(input[0]); close(output[1]); close(errors[1])
        if report[1] >= 0 { close(report[1]) }
        guard rc == 0 else {
            close(input[1]); close(output[0]); close(errors[0])
            if report[0] >= 0 { close(report[0]) }
            throw PluginError.launchFailed(plugin: executable, reason: String(cString: strerror(rc)))
        }
        _ = fe_set_nonblocking(input[1], 1)
        _ = fe_set_nonblocking(output[0], 1)
        let child = ChildProcess(pid: pid, stdinFD: input[1], stdoutFD: output[0], stderrFD: errors[0])
        child.reportFD = report[0]
        return child
    }

    /// Starts a plugin as every caller must: through the sandbox launcher when one is given
    /// (with the report pipe and, for a compiled plugin, the verified executable's descriptor),
    /// else plainly. The environment holds nothing of the coordinator's.
    /// The plugin gets a fresh, empty working directory of its own, removed with this object.
    static func launch(_ package: PluginPackage, sandbox: SandboxSettings?, sharedMemory: SharedTensorRegion? = nil) throws
        -> ChildProcess
    {
        ignoreBrokenPipes
        removeAbandonedDirectories
        // Named for this coordinator, so that a later one knows whose it was (see below).
        let prefix = "\(workingDirectoryPrefix)\(getpid())-"
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent(prefix + "XXXXXX").utf8CString)
        guard let dir = mkdtemp(&template) else {
            throw PluginError.launchFailed(plugin: package.manifest.name, reason: "cannot create a working directory")
        }
        let workingDirectory = String(cString: dir)
        do {
            // Swift's crash backtracer is off: it would start a helper process and bury
            // the plugin's own last words under pages of registers.
            let environment = ["SWIFT_BACKTRACE": "enable=no"]
            let child: ChildProcess
            if let sandbox {
                var launched = package
                var executable: Int32 = -1
                if package.manifest.sandbox == nil {
                    executable = try openVerified(package)
                } else {
                    launched.executablePath = try stageVerifiedScript(package, in: workingDirectory)
                }
                defer { if executable >= 0 { close(executable) } }
                let arguments = try sandbox.launcherArguments(for: launched, sharedMemory: sharedMemory != nil)
                child = try spawn(
                    executable: sandbox.launcher, arguments: arguments, environment: environment,
                    workingDirectory: workingDirectory, reportChannel: true, executableFD: executable,
                    sharedFD: sharedMemory?.descriptor ?? -1)
            } else if let launcher = SandboxSettings.defaultLauncher {
                // Unconfined, but still through the launcher: its supervisor notices the coordinator's
                // death (however it ends) and takes the plugin with it, as under the sandbox.
                let shared = sharedMemory == nil ? [] : ["--shared-fd", "5"]
                child = try spawn(
                    executable: launcher,
                    arguments: ["--supervise-only", "--report-fd", "3"] + shared + ["--", package.executablePath],
                    environment: environment, workingDirectory: workingDirectory, reportChannel: true,
                    sharedFD: sharedMemory?.descriptor ?? -1)
            } else {
                child = try spawn(
                    executable: package.executablePath, arguments: [], environment: environment,
                    workingDirectory: workingDirectory, sharedFD: sharedMemory?.descriptor ?? -1)
            }
            child.ownedDirectory = workingDirectory
            return child
        } catch {
            try? FileManager.default.removeItem(atPath: workingDirectory)  // with a staged script, if any
            throw error
        }
    }

    /// A plugin that dies while we write to it must produce an error, not SIGPIPE
    /// ending the coordinator. Process-wide, set once before the first plugin starts.
    static let workingDirectoryPrefix = "fe-plugin-"

    /// Plugin working directories left by coordinators that were killed before they could remove
    /// them (`fe-plugin-PID-*` of a PID that no longer runs, owned by this user), removed once
    /// per process at the first plugin launch.
    private static let removeAbandonedDirectories: Void = {
        let tmp = NSTemporaryDirectory()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp) else { return }
        for name in names where name.hasPrefix(workingDirectoryPrefix) {
            let rest = name.dropFirst(workingDirectoryPrefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0, pid != getpid() else { continue }
            let path = (tmp as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == getuid(), (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            if Glibc.kill(pid, 0) == -1 && errno == ESRCH { try? FileManager.default.removeItem(atPath: path) }
        }
    }()

    private static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// The working directory `launch` made for the plugin, removed on deinit.
    private var ownedDirectory: String?

    /// Opens the plugin's executable and checks the digest of what was opened: the launcher
    /// then executes this very descriptor, so the file checked is the file run.
    static func openVerified(_ package: PluginPackage) throws -> Int32 {
        let fd = open(package.executablePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PluginError.launchFailed(plugin: package.manifest.name, reason: "cannot open its executable (errno \(errno))")
        }
        do {
            try checkDigest(try FileDigest.sha256Hex(fd: fd), of: package)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// An interpreter opens its script by path, so it cannot be handed a descriptor: it gets
    /// a read-only copy, in the plugin's private working directory under the same name, of the
    /// very bytes whose digest was checked. Changing the installed script after that changes nothing.
    static func stageVerifiedScript(_ package: PluginPackage, in directory: String) throws -> String {
        let name = package.manifest.name
        guard let handle = FileHandle(forReadingAtPath: package.executablePath) else {
            throw PluginError.launchFailed(plugin: name, reason: "cannot open its script")
        }
        defer { try? handle.close() }
        let bytes = try handle.read(upToCount: maxScriptBytes + 1) ?? Data()
        guard bytes.count <= maxScriptBytes else {
            throw PluginError.launchFailed(plugin: name, reason: "its script is over \(maxScriptBytes >> 20) MiB")
        }
        try checkDigest(SHA256.hash(data: bytes).hex, of: package)
        let copy = directory + "/" + (package.executablePath as NSString).lastPathComponent
        // Created here and only here (O_EXCL, no link followed), read-only from the start.
        let fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o500)
        let written = fd < 0 ? -1 : bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if fd >= 0 { close(fd) }
        guard written == bytes.count else {
            throw PluginError.launchFailed(plugin: name, reason: "cannot stage its script in its working directory")
        }
        return copy
    }

    /// The digest of what was read against the one the signed manifest pins.
    private static func checkDigest(_ actual: String, of package: PluginPackage) throws {
        guard let expected = package.manifest.sha256, actual == expected else {
            throw PluginError.digestMismatch(
                path: package.executablePath, expected: package.manifest.sha256 ?? "-", actual: actual)
        }
    }

    /// Scripts are small; a larger "script" is refused rather than copied.
    static let maxScriptBytes = 16 << 20

    /// Reaps the child if it has ended, waiting up to `timeout` seconds.
    @discardableResult
    func wait(timeout: Double) -> ExitStatus? {
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var raw: Int32 = 0
            var usage = rusage()
            let r = wait4(pid, &raw, WNOHANG, &usage)
            if r == pid {
                let s = raw & 0x7f
                status = s == 0 ? .exited((raw >> 8) & 0xff) : .signaled(s)
                return status
            }
            if r < 0 && errno != EINTR { return nil }
            if Date() >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Records the plugin's peak resident memory while it still runs: `VmHWM` of the plugin
    /// process (the launcher's child when sandboxed). wait4's `ru_maxrss` cannot say it: a child
    /// started by posix_spawn shares the coordinator's memory until exec, and the kernel carries
    /// that high-water mark over the exec, so a plugin would seem as large as the coordinator.
    func recordPeakRSS() {
        guard status == nil else { return }
        guard let plugin = pluginPID, let status = try? String(contentsOfFile: "/proc/\(plugin)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return }
        peakRSSKilobytes = max(peakRSSKilobytes ?? 0, kilobytes)
    }

    /// The plugin's own process: the launcher's child when it runs through one.
    var pluginPID: pid_t? { reportFD >= 0 ? Self.firstChild(of: pid) : pid }

    /// What the plugin is doing now, by /proc; nil once it has ended.
    func activity() -> ProcessActivity? {
        guard status == nil, let plugin = pluginPID else { return nil }
        return ProcessActivity.read(pid: plugin)
    }

    /// The sandbox launcher's one child, the plugin.
    private static func firstChild(of pid: pid_t) -> pid_t? {
        let list = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)
        return list?.split(separator: " ").first.flatMap { pid_t($0) }
    }

    /// Kills the child (if still running) and reaps it.
    func kill() {
        guard status == nil else { return }
        ChildProcess.kill(group: pid)
        wait(timeout: 5)
    }

    /// SIGKILL to the child's whole process group (it leads one of its own), so
    /// that nothing it started outlives it; then to the child itself, in case it
    /// left the group.
    static func kill(group pid: pid_t) {
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
    }

    private var pipesOpen = true

    /// Closes the stdin and stdout pipes; the child sees end of input. Idempotent.
    func closePipes() {
        guard pipesOpen else { return }
        pipesOpen = false
        close(stdinFD)
        close(stdoutFD)
    }

    deinit {
        kill()
        closePipes()
        if reportFD >= 0 { close(reportFD) }
        if let ownedDirectory { try? FileManager.default.removeItem(atPath: ownedDirectory) }
    }
}
