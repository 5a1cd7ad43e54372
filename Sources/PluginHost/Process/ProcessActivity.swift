import Foundation

/// What the kernel says of a running process in /proc: enough to explain a plugin that stopped
/// answering (spinning, sleeping, or at its memory limit with its allocations failing). A
/// denied file access is not among it: Landlock tells only the plugin, which may say so on stderr.
struct ProcessActivity: Equatable {
    var cpuSeconds: Double
    /// The state letter of /proc/PID/stat: R running, S sleeping, D in I/O, T stopped, Z exited.
    var state: Character
    var virtualPeakBytes: UInt64?
    var residentPeakBytes: UInt64?

    static func read(pid: pid_t) -> ProcessActivity? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parse(stat: stat, status: (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "")
    }

    /// /proc/PID/stat and /proc/PID/status. The name in stat may hold spaces and parentheses,
    /// so fields are counted after its last ')'.
    static func parse(stat: String, status: String, ticksPerSecond: Double = Double(sysconf(Int32(_SC_CLK_TCK))))
        -> ProcessActivity?
    {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state (field 3 of stat), ..., utime (14), stime (15).
        guard fields.count > 12, let state = fields[0].first, let user = Double(fields[11]), let system = Double(fields[12]),
            ticksPerSecond > 0
        else { return nil }
        func kilobytes(_ key: String) -> UInt64? {
            status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { UInt64($0) }.map { $0 * 1024 }
        }
        return ProcessActivity(
            cpuSeconds: (user + system) / ticksPerSecond, state: state, virtualPeakBytes: kilobytes("VmPeak"),
            residentPeakBytes: kilobytes("VmHWM"))
    }

    /// One clause for an error message, e.g. "meanwhile it was running on the CPU (14.9 s of CPU
    /// time used); its virtual memory peaked at 7.9 GiB of its 8.0 GiB address-space limit".
    func description(addressSpaceLimit: UInt64?) -> String {
        let doing =
            switch state {
            case "R": "running on the CPU, not answering"
            case "S": "asleep (waiting, not computing)"
            case "D": "waiting on the disk or another device"
            case "T", "t": "stopped (by a signal or a debugger)"
            case "Z", "X": "exiting"
            default: "in state \(state)"
            }
        var text = "meanwhile it was \(doing) (\(CallDeadlines.duration(cpuSeconds)) of CPU time used since it started)"
        if let peak = virtualPeakBytes, let limit = addressSpaceLimit {
            text +=
                "; its virtual memory peaked at \(HostCeiling.bytes(peak)) of its \(HostCeiling.bytes(limit)) address-space limit"
            // Allocations are refused near the limit, not at it: the last one asked for more than was left.
            if peak >= limit - min(limit / 10, 64 << 20) { text += ", so its allocations were failing" }
        } else if let resident = residentPeakBytes {
            text += "; its resident memory peaked at \(HostCeiling.bytes(resident))"
        }
        return text
    }
}
