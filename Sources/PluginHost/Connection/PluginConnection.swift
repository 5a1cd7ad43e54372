import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// A message a plugin sent to the log, already sanitised.
public struct PluginLogEvent: Sendable {
    public enum Source: Sendable { case stderr, notification(LogParams.Level) }
    public var plugin: String
    public var source: Source
    public var message: String
}

/// A running plugin process and the JSON-RPC client that drives it.
///
/// Every call is bounded: frames by `RPCLimits.maxFrameBytes`, time by a
/// deadline. Any breach, crash or protocol violation stops the process and
/// leaves the connection failed: later calls fail with the same error.
public final class PluginConnection: PluginChannel {
    public let package: PluginPackage
    public let role: PluginRole
    public private(set) var info: InitializeResult?
    /// A short label for messages: "encoder 'ann'".
    public var label: String { "\(role) '\(package.manifest.name)'" }

    private let limits: RPCLimits
    private let process: ChildProcess
    private let stderr: StderrCollector
    private let reader: FrameReader
    private let writer: FrameWriter
    private var codec = MessageCodec(transport: .base64)
    /// Memory shared with the plugin for tensors, offered in `initialize`; dropped if not chosen.
    private var sharedMemory: SharedTensorRegion?
    private var nextID = 1
    /// Requests sent and not yet answered: at most two under `shared_memory` (see SharedTensorRegion).
    private var unanswered = 0
    /// The error that ended this plugin, if one did; every later call fails with it.
    public private(set) var failure: PluginError?
    private let onLog: @Sendable (PluginLogEvent) -> Void
    private var logBudget: Double
    private var logBudgetClock = Stopwatch()
    private var isShutDown = false
    private var deadlines = CallDeadlines()
    /// The plugin's address-space limit, for messages (nil when unconfined).
    private let addressSpaceLimit: UInt64?

    /// Mechanisms the sandbox ran without (not required by the policy, or allowed by the operator).
    public private(set) var sandboxWeakenings: [String] = []
    /// Whether the plugin runs through the sandbox launcher.
    public let isSandboxed: Bool

    /// How long a read polls before it sleeps, for answers expected within a millisecond.
    private static let spin: UInt64 = 200_000

    /// Starts the plugin's process, through the sandbox launcher when `sandbox` is given.
    /// The handshake is `initialize(transports:)`.
    public init(
        package: PluginPackage, role: PluginRole, limits: RPCLimits = RPCLimits(), sandbox: SandboxSettings?,
        onLog: @escaping @Sendable (PluginLogEvent) -> Void = { _ in }
    ) throws {
        self.package = package
        self.role = role
        self.limits = limits
        self.onLog = onLog
        self.logBudget = limits.logsPerSecond * 2
        self.isSandboxed = sandbox != nil
        self.addressSpaceLimit = sandbox?.limits(for: package).addressSpaceBytes
        // Without it (no memfd on this system) the plugin is offered the pipe transports only.
        sharedMemory = SharedTensorRegion.forPlugin()
        process = try ChildProcess.launch(package, sandbox: sandbox, sharedMemory: sharedMemory)
        let name = "\(role) '\(package.manifest.name)'"
        let pid = process.pid
        stderr = StderrCollector(
            fd: process.stderrFD, maxBytes: limits.maxStderrBytes,
            onLine: { line in onLog(PluginLogEvent(plugin: name, source: .stderr, message: line)) },
            onLimit: { ChildProcess.kill(group: pid) })
        reader = FrameReader(fd: process.stdoutFD, maxFrameBytes: limits.maxFrameBytes)
        // Most answers on the training path come within a fraction of a millisecond: polling that
        // long before sleeping saves a wake-up per message (measured: about a fifth of a batch).
        reader.spinNanoseconds = Self.spin
        writer = FrameWriter(fd: process.stdinFD)
    }

    /// The handshake: checks the protocol range, role and identity against the
    /// manifest, and agrees on the tensor transport (`shared_memory` is offered only where the
    /// region could be made).
    @discardableResult
    public func initialize(transports: [TensorTransport] = [.sharedMemory, .binary, .base64]) throws -> InitializeResult {
        let offered = transports.filter { $0 != .sharedMemory || sharedMemory != nil }
        var params = InitializeParams(role: role, transports: offered)
        if offered.contains(.sharedMemory), let region = sharedMemory {
            params.sharedMemory = SharedMemoryOffer(
                descriptor: SharedTensorRegion.pluginDescriptor, slotBytes: region.slotBytes)
        }
        let result = try call(MethodName.initialize, params, as: InitializeResult.self, timeout: limits.handshakeTimeout)
        let manifest = package.manifest
        do {
            try result.validate()
        } catch {
            throw fail(.protocolViolation(plugin: label, during: MethodName.initialize, reason: error.message))
        }
        let current = PluginProtocolVersion.current
        guard result.protocol.contains(current) else {
            throw fail(
                .incompatible(plugin: label, reason: "it speaks protocol \(result.protocol), this coordinator speaks \(current)"))
        }
        guard result.role == role else { throw fail(.incompatible(plugin: label, reason: "it says it is a \(result.role)")) }
        guard result.name == manifest.name, result.version == manifest.version else {
            throw fail(
                .incompatible(
                    plugin: label,
                    reason:
                        "it calls itself '\(result.name)' \(result.version) but its manifest says '\(manifest.name)' \(manifest.version)"
                ))
        }
        guard offered.contains(result.transport) else {
            throw fail(
                .protocolViolation(
                    plugin: label, during: MethodName.initialize,
                    reason: "chose transport '\(result.transport.rawValue)', which was not offered"))
        }
        if result.transport == .sharedMemory, let region = sharedMemory {
            codec = MessageCodec(sharedMemory: region, side: .coordinator)
        } else {
            codec = MessageCodec(transport: result.transport)
            sharedMemory = nil
        }
        info = result
        // The launcher wrote any "weaker" notes before it started the plugin, so they are in the pipe now.
        sandboxWeakenings = SandboxReport.read(fd: process.reportFD).weaker
        for note in sandboxWeakenings {
            onLog(PluginLogEvent(plugin: label, source: .notification(.warning), message: "sandbox runs without \(note)"))
        }
        return result
    }

    /// Sends a request without waiting, so two plugins can compute at once.
    public func send<P: Codable & Sendable>(_ method: String, _ params: P, timeout: Double?) throws -> Int {
        if let failure { throw failure }
        guard sharedMemory == nil || unanswered < 2 else {
            // A third request could be answered into the slot of a response not yet read.
            throw PluginError.incompatible(
                plugin: label, reason: "the coordinator sent a third request before reading an answer (a bug: please report it)")
        }
        let id = nextID
        nextID += 1
        let frame: Frame
        do {
            frame = try codec.encodeRequest(id: id, method: method, params: params)
        } catch {
            throw PluginError.protocolViolation(plugin: label, during: method, reason: "request could not be encoded: \(error)")
        }
        guard frame.totalBytes <= limits.maxFrameBytes else {
            throw PluginError.protocolViolation(
                plugin: label, during: method,
                reason: "request of \(frame.totalBytes) bytes is over the frame limit; use smaller batches")
        }
        do {
            try writer.write(frame, deadline: limits.deadline(seconds: timeout))
        } catch let error as FramingError {
            throw fail(translate(error, during: method, seconds: timeout ?? limits.callTimeout))
        }
        unanswered += 1
        deadlines.sent(id, method: method, rows: requestRows(params))
        return id
    }

    /// Waits for the response to request `id`, passing `log` notifications on meanwhile.
    public func receive<R: Decodable>(_ id: Int, method: String, as type: R.Type, timeout: Double?) throws -> R {
        if let failure { throw failure }
        let (seconds, adaptedBecause) = timeout.map { ($0, nil) } ?? deadlines.limit(for: id, limits: limits)
        let deadline = limits.deadline(seconds: seconds)
        reader.maxJSONBytes = limits.maxJSONBytes(answering: method, transport: codec.transport)
        // Polling pays only for quick answers; waiting out a long one on a spinning core takes
        // that core from the plugins (several encoder processes share the machine's cores).
        reader.spinNanoseconds = deadlines.expectsQuickAnswer(id, within: 0.001) ? Self.spin : 0
        while true {
            let frame: Frame
            do {
                guard let next = try reader.readFrame(deadline: deadline) else { throw FramingError.endOfStream(midFrame: false) }
                frame = next
            } catch let error as FramingError {
                throw fail(translate(error, during: method, seconds: seconds, adaptedBecause: adaptedBecause))
            }
            let incoming: RPCIncoming<R>
            do {
                incoming = try codec.decodeIncoming(frame, resultType: R.self)
            } catch {
                throw fail(.protocolViolation(plugin: label, during: method, reason: error.message))
            }
            let head = incoming.head
            if let m = head.method {
                guard m == MethodName.log, head.id == nil else {
                    throw fail(
                        .protocolViolation(plugin: label, during: method, reason: "plugins may only send 'log' notifications"))
                }
                try handleLog(frame, during: method)
                continue
            }
            guard head.id == .number(id) else {
                throw fail(
                    .protocolViolation(
                        plugin: label, during: method,
                        reason: "answered request id \(head.id.map(\.description) ?? "null"), expected \(id)"))
            }
            unanswered -= 1
            deadlines.answered(id)
            if let error = head.error { throw PluginError.remoteError(plugin: label, method: method, error: error) }
            guard let result = incoming.result else {
                let why = incoming.resultProblem ?? "result missing"
                throw fail(.protocolViolation(plugin: label, during: method, reason: "invalid result: \(why)"))
            }
            return result
        }
    }

    /// Asks the plugin to exit, then makes sure it has.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        process.recordPeakRSS()
        if failure == nil {
            _ = try? call(MethodName.shutdown, Empty(), as: Empty.self, timeout: 5)
        }
        process.closePipes()
        if process.wait(timeout: 2) == nil { process.kill() }
        stderr.waitForEnd(timeout: 1)
    }

    /// Statistics for reports.
    public var stderrBytes: Int { stderr.totalBytes }
    public var processID: Int32 { process.pid }
    public var answerDescriptor: Int32? { process.stdoutFD }
    public var hasBufferedInput: Bool { reader.hasBufferedBytes }
    /// Peak resident memory of the plugin process, known after a `shutdown` that found it running.
    public var peakRSSKilobytes: Int? { process.peakRSSKilobytes }

    private func handleLog(_ frame: Frame, during method: String) throws {
        // A token bucket: refilled at logsPerSecond, holding at most two seconds' worth.
        logBudget = min(limits.logsPerSecond * 2, logBudget + logBudgetClock.seconds * limits.logsPerSecond)
        logBudgetClock.restart()
        guard logBudget >= 1 else {
            throw fail(
                .limitExceeded(
                    plugin: label, during: method,
                    limit: "it sent more than \(Int(limits.logsPerSecond)) log notifications per second"))
        }
        logBudget -= 1
        guard let params = try? codec.decode(RPCRequest<LogParams>.self, from: frame).params else {
            throw fail(.protocolViolation(plugin: label, during: method, reason: "malformed 'log' notification"))
        }
        onLog(
            PluginLogEvent(
                plugin: label, source: .notification(params.level), message: DisplayText.escaped(params.message, limit: 1000)))
    }

    private func translate(_ error: FramingError, during method: String, seconds: Double, adaptedBecause: String? = nil)
        -> PluginError
    {
        switch error {
        case .timedOut:
            if let run = limits.runLimit, limits.runLimitReached {
                return .limitExceeded(
                    plugin: label, during: method, limit: "the run's time limit of \(run.seconds) s (--max-run-time) was reached")
            }
            // Read before the plugin is stopped: what it was doing while it did not answer.
            let activity = process.activity()?.description(addressSpaceLimit: addressSpaceLimit)
            let tail = stderr.tailText.isEmpty ? nil : "its last stderr: \(stderr.tailText)"
            let detail = [adaptedBecause, activity, tail].compactMap { $0 }.joined(separator: "; ")
            return .timedOut(plugin: label, method: method, seconds: seconds, detail: detail)
        case .endOfStream, .io:
            // Usually the process died; its exit status says how.
            let status = process.wait(timeout: 2)
            stderr.waitForEnd(timeout: 0.5)
            if stderr.exceededLimit {
                return .limitExceeded(
                    plugin: label, during: method, limit: "it wrote more than \(limits.maxStderrBytes) bytes to stderr")
            }
            let report = SandboxReport.read(fd: process.reportFD)
            if let call = report.violation { return .sandboxViolation(plugin: label, during: method, syscall: call) }
            if let problem = report.policyProblem {
                return .launchFailed(plugin: label, reason: "the sandbox policy cannot be used: \(problem)")
            }
            if let (mechanism, reason) = report.unavailable {
                guard let m = SandboxMechanism(launcherName: mechanism)?.rawValue else {
                    // seccomp, no_new_privs, a limit: nothing the operator may waive.
                    let limit = mechanism.hasPrefix("rlimit-") ? "; lower it with plugin_limits in a config file" : ""
                    return .launchFailed(plugin: label, reason: "the sandbox could not set up \(mechanism) (\(reason))\(limit)")
                }
                return .launchFailed(
                    plugin: label,
                    reason: "the sandbox policy requires \(m), which this system does not offer (\(reason)); "
                        + "to run with less confinement pass --allow-weaker-sandbox \(m)")
            }
            if case .signaled(SIGXCPU)? = status {
                return .limitExceeded(plugin: label, during: method, limit: "it used up its CPU time limit")
            }
            let what = status?.description ?? "closed its output"
            return .crashed(plugin: label, during: method, status: what, stderrTail: stderr.tailText)
        case .badHeader, .tooLarge:
            return .protocolViolation(plugin: label, during: method, reason: error.description)
        }
    }

    /// For checks made above this layer (a result of the wrong shape): records the
    /// violation, stops the plugin, and returns the error to throw.
    public func reject(during method: String, reason: String) -> PluginError {
        fail(.protocolViolation(plugin: label, during: method, reason: reason))
    }

    /// Records the first fatal error and stops the process.
    private func fail(_ error: PluginError) -> PluginError {
        if failure == nil { failure = error }
        process.kill()
        return failure!
    }
}

/// Lets `RPCResult` carry any Decodable result (RPCResult needs Codable).
struct DecodableBox<T: Decodable>: Codable, @unchecked Sendable {
    var value: T
    init(from decoder: any Decoder) throws { value = try T(from: decoder) }
    func encode(to encoder: any Encoder) throws {}
}
