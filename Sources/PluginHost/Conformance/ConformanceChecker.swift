import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// Checks that a plugin package keeps the protocol (docs/PROTOCOL.md), by driving it
/// through the real sandbox as the coordinator would, and further than the coordinator
/// ever does: invalid parameters and frames, gradients against finite differences, a
/// state round trip into another process, determinism, and its exit.
///
/// Each item starts its own plugin processes, so one failure does not hide the others.
/// Shapes are small: an encoder is configured `[16] -> [4]`, a decoder `[4] -> [16]`.
public struct ConformanceChecker {
    /// The items, in the order they run and are reported: one list, so names and checks cannot drift.
    private static let items: [(name: String, check: @Sendable (ConformanceChecker) -> () throws -> String)] = [
        ("handshake", checkHandshake), ("parameter schema", checkParameterSchema), ("malformed frames", checkMalformedFrames),
        ("forward shapes", checkForwardShapes), ("gradients", checkGradients), ("state round trip", checkStateRoundTrip),
        ("fit", checkFit), ("step in backward", checkStepInBackward), ("overlapping rows", checkOverlappingRows),
        ("determinism", checkDeterminism), ("shutdown", checkShutdown),
    ]

    /// The items' names, in the order they run and are reported.
    public static let itemNames = items.map(\.name)

    public var package: PluginPackage
    /// How plugins are confined; nil only when the operator turned the sandbox off.
    public var sandbox: SandboxSettings?
    /// Seeds the plugin (`configure`) and the checker's random inputs.
    public var seed: UInt64 = 42
    /// The longest the checker waits for one answer.
    public var callTimeout: Double = 30

    public init(package: PluginPackage, sandbox: SandboxSettings?) {
        self.package = package
        self.sandbox = sandbox
    }

    /// The item reported instead of all the others when the sandbox policy refuses the plugin:
    /// nothing can start, so the refusal is said once rather than once per item.
    public static let policyItemName = "sandbox policy"

    /// Runs every item; `onItem` sees each result as soon as it is known.
    public func run(onItem: (ConformanceItem) -> Void = { _ in }) -> ConformanceReport {
        var report = ConformanceReport()
        if let sandbox {
            do {
                _ = try sandbox.launcherArguments(for: package)
            } catch {
                let item = ConformanceItem(
                    name: Self.policyItemName, passed: false, detail: DisplayText.escaped("\(error)", limit: 2000))
                report.items.append(item)
                onItem(item)
                return report
            }
        }
        for (name, check) in Self.items {
            let item: ConformanceItem
            do {
                item = ConformanceItem(name: name, passed: true, detail: try check(self)())
            } catch {
                item = ConformanceItem(name: name, passed: false, detail: DisplayText.escaped("\(error)", limit: 1000))
            }
            report.items.append(item)
            onItem(item)
        }
        return report
    }

    // MARK: - Shared by the checks

    var role: PluginRole { package.manifest.role }

    /// `[16] -> [4]` for an encoder, the reverse for a decoder.
    var shapes: ProbeShapes {
        role == .encoder ? ProbeShapes(input: [16], output: [4]) : ProbeShapes(input: [4], output: [16])
    }

    /// A started plugin process, not yet initialised.
    func spawn() throws -> ProbeSession {
        try ProbeSession(package: package, sandbox: sandbox, timeout: callTimeout)
    }

    /// A started, initialised plugin, configured with `parameters` when given.
    func start(parameters: [String: JSONValue]? = [:], seed: UInt64? = nil) throws -> ProbeSession {
        let s = try spawn()
        try s.initialize()
        if let parameters { try s.configure(shapes, seed: seed ?? self.seed, parameters: parameters) }
        return s
    }

    /// Random values in `range`, the same for every run with the same seed.
    func randomTensor(_ shape: [Int], in range: ClosedRange<Float>, stream: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9 &+ stream)
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<n).map { _ in rng.next(in: range) })
    }

    /// A sample input batch: values in the range normalised data has.
    func input(batch: Int, stream: UInt64 = 1) -> Tensor {
        randomTensor([batch] + shapes.input, in: 0.1...0.9, stream: stream)
    }

    /// Inference or training `forward`, its output shape checked.
    func forward(_ s: ProbeSession, _ x: Tensor, training: Bool = false) throws -> Tensor {
        let y = try s.call(MethodName.forward, ForwardParams(input: x, training: training), as: ForwardResult.self).output
        let expected = [x.shape[0]] + shapes.output
        guard y.shape == expected else {
            throw ConformanceFailure("forward of a \(x.shape) input answered shape \(y.shape), expected \(expected)")
        }
        return y
    }

    /// `backward`; the input gradient's shape is checked when one is asked for.
    func backward(_ s: ProbeSession, _ gradOutput: Tensor, needInputGradient: Bool) throws -> Tensor? {
        let g = try s.call(
            MethodName.backward, BackwardParams(gradOutput: gradOutput, needInputGradient: needInputGradient),
            as: BackwardResult.self
        ).gradInput
        guard needInputGradient else { return nil }
        guard let g else { throw ConformanceFailure("backward with need_input_grad true answered no grad_input") }
        let expected = [gradOutput.shape[0]] + shapes.input
        guard g.shape == expected else {
            throw ConformanceFailure("backward answered grad_input of shape \(g.shape), expected \(expected)")
        }
        return g
    }

    /// One training step on `x` with loss `sum(r * y)`: forward, backward, step.
    func trainStep(_ s: ProbeSession, x: Tensor, r: Tensor) throws -> Int {
        _ = try forward(s, x, training: true)
        _ = try backward(s, r, needInputGradient: false)
        return try s.call(MethodName.step, Empty(), as: StepResult.self).steps
    }

    /// The probe's loss, in Double: `sum(r * y)`.
    static func loss(_ y: Tensor, _ r: Tensor) -> Double {
        zip(y.values, r.values).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Expects an error response with `code`; anything else fails with `what` named.
    static func expectError(_ reply: ProbeSession.Reply, code: Int, _ what: String) throws {
        guard let e = reply.error else { throw ConformanceFailure("\(what) was accepted; it must be refused with \(code)") }
        guard e.code == code else {
            throw ConformanceFailure(
                "\(what) was refused with code \(e.code) (\(DisplayText.escaped(e.message, limit: 120))); expected \(code)")
        }
    }

    /// Where two tensors differ in any bit, described; nil when identical.
    static func difference(_ a: Tensor, _ b: Tensor) -> String? {
        guard a.shape == b.shape else { return "shape \(a.shape) against \(b.shape)" }
        let differing = zip(a.values, b.values).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        guard let first = differing.first else { return nil }
        return
            "\(differing.count) of \(a.values.count) values differ (first at index \(first.offset): \(first.element.0) against \(first.element.1))"
    }

    /// The declared parameters with dropout-like ones set to their lowest value, and
    /// `learning_rate` (when declared) set to `learningRate`, clamped to its range.
    func parameters(learningRate: Double? = nil, noDropout: Bool = false, declared: ParameterSchema) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (name, spec) in declared {
            if noDropout, name.contains("dropout"), spec.type == .number || spec.type == .integer {
                out[name] = .number(max(spec.minimum ?? 0, 0))
            }
            if name == "learning_rate", let learningRate, spec.type == .number {
                out[name] = .number(min(max(learningRate, spec.minimum ?? learningRate), spec.maximum ?? learningRate))
            }
        }
        return out
    }
}

/// The checker's inputs are reproducible and independent of the platform.
extension SplitMix64 {
    mutating func next(in range: ClosedRange<Float>) -> Float {
        let unit = Float(next() >> 40) / Float(1 << 24)
        return range.lowerBound + (range.upperBound - range.lowerBound) * unit
    }
}
