/// Kernel resource limits (setrlimit) of a plugin process; nil leaves a limit to the layer below.
///
/// Effective limits are the tightest of the policy's defaults, the plugin's
/// manifest and the operator's configuration: a plugin can only ask for less.
public struct ResourceLimits: Sendable, Equatable, Codable {
    /// RLIMIT_AS, bytes of virtual memory.
    public var addressSpaceBytes: UInt64?
    /// RLIMIT_CPU, seconds of CPU time (SIGXCPU at the limit, SIGKILL a second later).
    public var cpuSeconds: UInt64?
    /// RLIMIT_NOFILE, open descriptors.
    public var openFiles: UInt64?
    /// RLIMIT_FSIZE, largest file the process may write (0: none).
    public var fileSizeBytes: UInt64?
    /// RLIMIT_NPROC, processes of the plugin's user (threads count).
    public var processes: UInt64?

    public init(
        addressSpaceBytes: UInt64? = nil, cpuSeconds: UInt64? = nil, openFiles: UInt64? = nil,
        fileSizeBytes: UInt64? = nil, processes: UInt64? = nil
    ) {
        self.addressSpaceBytes = addressSpaceBytes
        self.cpuSeconds = cpuSeconds
        self.openFiles = openFiles
        self.fileSizeBytes = fileSizeBytes
        self.processes = processes
    }

    enum CodingKeys: String, CodingKey {
        case addressSpaceBytes = "address_space_bytes", cpuSeconds = "cpu_seconds", openFiles = "open_files"
        case fileSizeBytes = "file_size_bytes", processes
    }

    /// Each limit the tighter of the two; a nil on one side takes the other's.
    public func tightened(by other: ResourceLimits?) -> ResourceLimits {
        guard let other else { return self }
        func min(_ a: UInt64?, _ b: UInt64?) -> UInt64? { a.map { x in b.map { Swift.min(x, $0) } ?? x } ?? b }
        return ResourceLimits(
            addressSpaceBytes: min(addressSpaceBytes, other.addressSpaceBytes), cpuSeconds: min(cpuSeconds, other.cpuSeconds),
            openFiles: min(openFiles, other.openFiles), fileSizeBytes: min(fileSizeBytes, other.fileSizeBytes),
            processes: min(processes, other.processes))
    }
}
