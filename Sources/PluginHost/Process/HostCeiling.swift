import Foundation

/// What this machine and this process allow a plugin, whatever a policy asks. A plugin's limits
/// are lowered to it: the launcher cannot raise a hard limit the coordinator inherited (a
/// `ulimit -Hv` below the policy used to stop every launch), and an address-space limit above
/// the machine's memory protects nothing.
public struct HostCeiling: Sendable, Equatable {
    /// Memory this process may use: the machine's RAM, or its cgroup's limit when lower (bytes).
    public var memoryBytes: UInt64?
    /// The hard limits this process inherited, where set.
    public var inherited: ResourceLimits

    public init(memoryBytes: UInt64?, inherited: ResourceLimits) {
        self.memoryBytes = memoryBytes
        self.inherited = inherited
    }

    /// This machine and process, read once.
    public static let current = HostCeiling(memoryBytes: machineMemoryBytes(), inherited: inheritedHardLimits())

    /// The ceiling as limits. The CPU limit is one second under the inherited hard limit: the
    /// launcher puts the hard limit a second after the soft one, so SIGXCPU comes before SIGKILL.
    public var limits: ResourceLimits {
        var l = inherited
        l.cpuSeconds = inherited.cpuSeconds.map { max($0, 2) - 1 }
        if let memoryBytes { l.addressSpaceBytes = min(l.addressSpaceBytes ?? .max, memoryBytes) }
        return l
    }

    /// One sentence for each limit of `wanted` this ceiling lowers, saying why.
    public func notes(lowering wanted: ResourceLimits) -> [String] {
        var notes: [String] = []
        func lowered(_ name: String, _ want: UInt64?, _ have: UInt64?, show: (UInt64) -> String, shell: String) {
            guard let have, have < want ?? .max else { return }
            let policy =
                want.map { "the \(show($0)) the policy and options ask for" } ?? "no limit, as the policy and options ask"
            notes.append(
                "plugins run with \(name) of \(show(have)), the hard limit this process inherited (\(shell)), instead of \(policy)"
            )
        }
        let ceiling = limits
        if let memory = memoryBytes, memory < inherited.addressSpaceBytes ?? .max, memory < wanted.addressSpaceBytes ?? .max {
            notes.append(
                "plugins run with an address-space limit of \(Self.bytes(memory)), this machine's memory, "
                    + "instead of the \(wanted.addressSpaceBytes.map(Self.bytes) ?? "unlimited") the policy and options ask for")
        } else {
            lowered(
                "an address-space limit", wanted.addressSpaceBytes, ceiling.addressSpaceBytes, show: Self.bytes,
                shell: "ulimit -Hv")
        }
        lowered("a CPU time limit", wanted.cpuSeconds, ceiling.cpuSeconds, show: { "\($0) s" }, shell: "ulimit -Ht")
        lowered("an open-file limit", wanted.openFiles, ceiling.openFiles, show: { "\($0) descriptors" }, shell: "ulimit -Hn")
        lowered("a file-size limit", wanted.fileSizeBytes, ceiling.fileSizeBytes, show: Self.bytes, shell: "ulimit -Hf")
        lowered("a process limit", wanted.processes, ceiling.processes, show: { "\($0)" }, shell: "ulimit -Hu")
        return notes
    }

    /// Bytes in the largest binary unit that keeps a digit before the point: "7.5 GiB".
    public static func bytes(_ n: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    /// RAM (`MemTotal`), or the cgroup's memory limit (v2 `memory.max` of this process's group
    /// and its parents, or v1 `memory.limit_in_bytes`) when lower.
    static func machineMemoryBytes() -> UInt64? {
        var best: UInt64?
        func consider(_ n: UInt64?) { if let n, n > 0 { best = min(best ?? .max, n) } }
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") })
        {
            consider(line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }.map { $0 * 1024 })
        }
        let groups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        for line in groups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" {
                var path = String(parts[2])
                while true {
                    consider(readNumber("/sys/fs/cgroup\(path == "/" ? "" : path)/memory.max"))
                    guard path != "/", !path.isEmpty else { break }
                    path = (path as NSString).deletingLastPathComponent
                }
            } else if parts[1].split(separator: ",").contains("memory") {
                // cgroup v1 reports "no limit" as a huge number, which `consider` keeps above RAM.
                consider(readNumber("/sys/fs/cgroup/memory\(parts[2])/memory.limit_in_bytes"))
            }
        }
        return best
    }

    private static func readNumber(_ path: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))  // "max" reads as nil
    }

    static func inheritedHardLimits() -> ResourceLimits {
        func hard(_ resource: Int32) -> UInt64? {
            var rl = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(resource)), &rl) == 0, rl.rlim_max != rlim_t.max else { return nil }
            return UInt64(rl.rlim_max)
        }
        return ResourceLimits(
            addressSpaceBytes: hard(Int32(RLIMIT_AS.rawValue)), cpuSeconds: hard(Int32(RLIMIT_CPU.rawValue)),
            openFiles: hard(Int32(RLIMIT_NOFILE.rawValue)), fileSizeBytes: hard(Int32(RLIMIT_FSIZE.rawValue)),
            processes: hard(Int32(__RLIMIT_NPROC.rawValue)))
    }
}
