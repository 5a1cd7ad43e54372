import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// Why a conformance item failed, in words for the plugin's author.
struct ConformanceFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One plugin process driven frame by frame for the conformance checks.
///
/// Unlike `PluginConnection`, which stops a plugin at its first fault, a probe keeps
/// talking: it sends what a coordinator never would (invalid JSON, tensors whose bytes
/// disagree with their shapes), reads error responses whose id is null, and can tell
/// whether the process is still alive and how it ended. It starts the plugin exactly as
/// the coordinator does: through the sandbox launcher with the operator's policy, an
/// empty environment and a fresh working directory.
final class ProbeSession {
    let package: PluginPackage
    let role: PluginRole
    private let process: ChildProcess
    private let stderr: StderrCollector
    private let reader: FrameReader
    private let writer: FrameWriter
    private(set) var codec = MessageCodec(transport: .base64)
    private(set) var nextID = 1
    private let timeout: Double
    private(set) var info: InitializeResult?

    /// A response: a result (its frame, decoded on demand) or an error.
    enum Reply {
        case result(Frame)
        case error(RPCError)

        var error: RPCError? { if case .error(let e) = self { e } else { nil } }
    }

    init(package: PluginPackage, sandbox: SandboxSettings?, timeout: Double) throws {
        self.package = package
        self.role = package.manifest.role
        self.timeout = timeout
        process = try ChildProcess.launch(package, sandbox: sandbox)
        let pid = process.pid
        stderr = StderrCollector(
            fd: process.stderrFD, maxBytes: 1 << 20, onLine: { _ in }, onLimit: { ChildProcess.kill(group: pid) })
        reader = FrameReader(fd: process.stdoutFD, maxFrameBytes: RPCLimits().maxFrameBytes)
        writer = FrameWriter(fd: process.stdinFD)
    }

    // MARK: - Requests

    /// `initialize` as the coordinator sends it; the chosen transport applies from the next frame.
    @discardableResult
    func initialize(role: PluginRole? = nil, transports: [TensorTransport] = [.binary, .base64]) throws -> InitializeResult {
        let result = try call(
            MethodName.initialize, InitializeParams(role: role ?? self.role, transports: transports), as: InitializeResult.self)
        codec = MessageCodec(transport: result.transport)
        info = result
        return result
    }

    /// `configure`; returns its result.
    @discardableResult
    func configure(_ shapes: ProbeShapes, seed: UInt64, parameters: [String: JSONValue]) throws -> ConfigureResult {
        try call(
            MethodName.configure,
            ConfigureParams(inputShape: shapes.input, outputShape: shapes.output, seed: seed, parameters: parameters),
            as: ConfigureResult.self)
    }

    /// One request whose result must be a success of type `R`.
    func call<P: Codable & Sendable, R: Decodable>(_ method: String, _ params: P, as type: R.Type) throws -> R {
        switch try request(method, params) {
        case .error(let e):
            throw ConformanceFailure("\(method) was refused: \(DisplayText.escaped(e.message, limit: 300)) (code \(e.code))")
        case .result(let frame):
            return try decode(frame, method: method, as: type)
        }
    }

    /// One typed request and its reply, success or error.
    func request<P: Codable & Sendable>(_ method: String, _ params: P) throws -> Reply {
        let id = nextID
        nextID += 1
        let frame = try codec.encode(RPCRequest(id: .number(id), method: method, params: params))
        try send(frame, method: method)
        return try receive(expecting: .number(id), method: method)
    }

    /// A hand-made request frame: `json(id)` is the body for request id `id`. The reply must
    /// carry that id, or null when `idUnreadable` (a body that is not valid JSON).
    func requestRaw(_ what: String, idUnreadable: Bool = false, attachment: [UInt8] = [], json: (Int) -> String) throws -> Reply {
        let id = nextID
        nextID += 1
        try send(Frame(json: Array(json(id).utf8), attachment: attachment), method: what)
        return try receive(expecting: idUnreadable ? nil : .number(id), method: what)
    }

    func decode<R: Decodable>(_ frame: Frame, method: String, as type: R.Type) throws -> R {
        do {
            return try codec.decode(RPCResult<DecodableBox<R>>.self, from: frame).result.value
        } catch {
            throw ConformanceFailure(
                "the result of \(method) does not match its schema: \(DisplayText.escaped(error.message, limit: 300))")
        }
    }

    private func send(_ frame: Frame, method: String) throws {
        do {
            try writer.write(frame, deadline: .after(seconds: timeout))
        } catch let error as FramingError {
            throw ConformanceFailure("could not send \(method): \(error); \(death())")
        }
    }

    private func receive(expecting id: RPCID?, method: String) throws -> Reply {
        let deadline = Deadline.after(seconds: timeout)
        while true {
            let frame: Frame
            do {
                guard let next = try reader.readFrame(deadline: deadline) else { throw FramingError.endOfStream(midFrame: false) }
                frame = next
            } catch FramingError.timedOut {
                throw ConformanceFailure("no answer to \(method) within \(Int(timeout)) s")
            } catch let error as FramingError {
                switch error {
                case .endOfStream, .io: throw ConformanceFailure("\(death()) during \(method)")
                default: throw ConformanceFailure("its answer to \(method) is not a valid frame: \(error)")
                }
            }
            let head: RPCHead
            do {
                head = try codec.decodeHead(frame)
            } catch {
                throw ConformanceFailure(
                    "its answer to \(method) is not a valid JSON-RPC message: \(DisplayText.escaped(error.message, limit: 200))")
            }
            if let m = head.method {
                guard m == MethodName.log, head.id == nil, (try? codec.decode(RPCRequest<LogParams>.self, from: frame)) != nil
                else {
                    throw ConformanceFailure(
                        "it sent a request or notification '\(DisplayText.escaped(m, limit: 64))' during \(method); plugins may only send well-formed 'log' notifications"
                    )
                }
                continue
            }
            guard head.id == id else {
                throw ConformanceFailure(
                    "its answer to \(method) has id \(head.id.map(\.description) ?? "null"), expected \(id.map(\.description) ?? "null")"
                )
            }
            if let error = head.error { return .error(error) }
            return .result(frame)
        }
    }

    // MARK: - The process

    /// How it ended, if it has (without waiting).
    var exitStatus: ExitStatus? { process.wait(timeout: 0) }

    func waitForExit(timeout: Double) -> ExitStatus? { process.wait(timeout: timeout) }

    /// Closes the plugin's stdin and stdout: it sees the end of its input.
    func closeInput() { process.closePipes() }

    /// Stops it (idempotent).
    func stop() {
        process.kill()
        process.closePipes()
    }

    /// What is known about the end of the process: its status, a sandbox violation, its last stderr.
    func death() -> String {
        let status = process.wait(timeout: 2)
        stderr.waitForEnd(timeout: 0.5)
        var text = "the plugin " + (status?.description ?? "closed its output")
        let report = SandboxReport.read(fd: process.reportFD)
        if let call = report.violation { text += " (stopped by the sandbox: forbidden system call '\(call)')" }
        if let (mechanism, reason) = report.unavailable { text += " (the sandbox could not start it: \(mechanism) \(reason))" }
        let tail = stderr.tailText
        if !tail.isEmpty { text += "; its last stderr: \(tail)" }
        return text
    }
}

/// Sample shapes of a probe: the encoder's `[16] -> [4]`, the decoder's the reverse.
struct ProbeShapes: Equatable {
    var input: [Int]
    var output: [Int]
    var inputSize: Int { input.reduce(1, *) }
    var outputSize: Int { output.reduce(1, *) }
}
