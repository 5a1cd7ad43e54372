import CProcessSpawn
import Foundation

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
    private(set) var peakRSSKilobytes: Int?

    private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    /// Starts `executable` with an explicit environment in `workingDirectory`.
    /// With `reportChannel`, the child also gets descriptor 3, a pipe whose read end is `reportFD`.
    static func spawn(executable: String, arguments: [String], environment: [String: String],
                      workingDirectory: String, reportChannel: Bool = false) throws -> ChildProcess {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard fe_pipe_cloexec(&input) == 0 else { throw PluginError.launchFailed(plugin: executable, reason: "pipe failed (errno \(errno))") }
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
        let rc = fe_spawn(executable, argv, envp, workingDirectory, input[0], output[1], errors[1], report[1], &pid)
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
                peakRSSKilobytes = Int(usage.ru_maxrss)
                let s = raw & 0x7f
                status = s == 0 ? .exited((raw >> 8) & 0xff) : .signaled(s)
                return status
            }
            if r < 0 && errno != EINTR { return nil }
            if Date() >= deadline { return nil }
            usleep(2_000)
        }
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
    }
}
