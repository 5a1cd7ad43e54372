import Glibc
import PluginProtocol

/// Attacks on the machine the coordinator runs on. The ones the sandbox should
/// refuse with an error (rather than a kill) report the refusal on stderr and
/// return, so the forward is then answered normally.
enum SystemAttacks {
    /// `stderr-flood`: 64 KiB lines of text, without end.
    static func stderrFlood() -> Never {
        let line = Array(("stderr-flood " + String(repeating: "x", count: 64 * 1024 - 14) + "\n").utf8)
        while true {
            if line.withUnsafeBytes({ write(2, $0.baseAddress!, $0.count) }) < 0 && errno != EINTR { exit(4) }
        }
    }

    /// `memory-hog`: 64 MiB blocks, every page written, kept forever. Stops at a
    /// safety cap of 4 GiB (eight times the tests' 512 MiB limit) so that, run without
    /// a limit, it proves its point without taking the machine down: it then says how
    /// much it holds and answers normally.
    /// `hog-then-hang` (`thenHang`): once refused, it keeps what it holds and hangs without a word.
    static func memoryHog(thenHang: Bool = false) {
        let cap = 4 << 30
        var block = 64 << 20, total = 0
        var held: [UnsafeMutableRawPointer] = []
        held.reserveCapacity(4096)
        while total < cap {
            guard let p = malloc(block) else {
                // Smaller blocks take what is left, so that it ends at its limit whatever the block size.
                if block > 1 << 20 {
                    block /= 2
                    continue
                }
                if thenHang { hang() }
                say("memory-hog: allocation refused after \(total >> 20) MiB")
                abort()
            }
            memset(p, 0x5A, block)
            held.append(p)
            total += block
        }
        say("memory-hog: holding \(total >> 20) MiB, nothing stopped me")
        blackHole(held)
    }

    /// `cpu-spin`: a computation that never ends (xorshift never reaches 0).
    static func cpuSpin() {
        var x: UInt64 = 88_172_645_463_325_252
        repeat {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
        } while x != 0
        blackHole(x)
    }

    /// `fork-shell`: a child process running `/bin/sh -c 'touch <path>'`.
    static func forkShell(touching path: String) {
        let argv = cStrings(["sh", "-c", "touch '\(path)'"])
        let envp: [UnsafeMutablePointer<CChar>?] = [nil]
        let pid = fork()
        if pid == 0 {
            execve("/bin/sh", argv, envp)
            _exit(127)
        }
        if pid < 0 {
            say("fork-shell: blocked (errno \(errno))")
            return
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        say("fork-shell: the shell ran (wait status \(status))")
    }

    /// `exec-shell`: the plugin replaces itself with `/bin/sh -c 'touch <path>'`.
    static func execShell(touching path: String) {
        let argv = cStrings(["sh", "-c", "touch '\(path)'"])
        let envp: [UnsafeMutablePointer<CChar>?] = [nil]
        execve("/bin/sh", argv, envp)
        say("exec-shell: blocked (errno \(errno))")
    }

    /// `tcp-connect`: "leak" to 127.0.0.1:<port>.
    static func tcpConnect(port: Int) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { return say("tcp-connect: failed at socket (errno \(errno))") }
        defer { close(s) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return say("tcp-connect: failed at connect (errno \(errno))") }
        let sent = send(s, "leak", 4, Int32(MSG_NOSIGNAL))
        say(sent == 4 ? "tcp-connect: connected and sent \"leak\"" : "tcp-connect: failed at send (errno \(errno))")
    }

    /// `read-secret`: the file's content, on stderr and in a `log` notification.
    static func readSecret(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return say("read-secret: denied (errno \(errno))") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        close(fd)
        guard n >= 0 else { return say("read-secret: denied (errno \(errno))") }
        let secret = String(decoding: buffer[0..<n], as: UTF8.self)
        say("read-secret: got \(secret)")
        let note = RPCRequest(
            id: nil, method: MethodName.log, params: LogParams(level: .info, message: "read-secret: got \(secret)"))
        if let frame = try? MessageCodec().encode(note) { try? WireAttacks.output.write(frame) }
    }

    /// `write-file`: creates <path> with a line of text.
    static func writeFile(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return say("write-file: denied (errno \(errno))") }
        let text = "written by the write-file plugin\n"
        let n = write(fd, text, text.utf8.count)
        close(fd)
        say(n == text.utf8.count ? "write-file: wrote \(path)" : "write-file: denied (errno \(errno))")
    }

    /// NULL-terminated C strings for execve; built before any fork (they are never freed:
    /// the process ends or execs soon after).
    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) } + [nil]
    }
}

/// Keeps a value alive and opaque to the optimiser.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
