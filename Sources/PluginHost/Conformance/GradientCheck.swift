import Foundation
import PluginProtocol

extension ConformanceChecker {
    /// Step sizes of the central differences, tried in order (float32 outputs: not smaller).
    static let finiteDifferenceSteps: [Float] = [1e-2, 1e-3]
    /// Largest accepted ‖backward − differences‖ / max(‖backward‖, ‖differences‖).
    static let gradientTolerance = 2e-2
    /// The learning rate of the single step that must lower the loss (clamped to the parameter's range).
    static let probeLearningRates = [1e-4, 1e-5]

    /// `gradients`, checked through the protocol. With random `x` and output weights `r` and
    /// the loss `L = sum(r * forward(x))`: `backward(grad_output: r, need_input_grad: true)`
    /// must agree with central differences of `L` over every element of `x`. Parameter
    /// gradients are not returned by the protocol, so for them one `step` with a tiny
    /// learning rate must lower `L`. Dropout-like parameters are set to their lowest value.
    func checkGradients() throws -> String {
        let s = try start(parameters: nil)
        defer { s.stop() }
        let declared = s.info?.parameters ?? [:]
        try s.configure(shapes, seed: seed, parameters: parameters(noDropout: true, declared: declared))
        let x = input(batch: 2, stream: 11)
        let r = randomTensor([2] + shapes.output, in: -1...1, stream: 12)

        _ = try forward(s, x, training: true)
        guard let analytic = try backward(s, r, needInputGradient: true) else { throw ConformanceFailure("no input gradient") }
        // Each step size gives one estimate per element; the closest counts, so that an input
        // sitting within one step of a kink (ReLU, max-pooling) does not fail a correct plugin.
        var estimates: [[Double]] = []
        var outcome = (error: Double.infinity, report: "")
        for eps in Self.finiteDifferenceSteps {
            estimates.append(try finiteDifferences(s, x: x, r: r, eps: eps))
            let closest = analytic.values.indices.map { k in
                estimates.map { $0[k] }.min { abs($0 - Double(analytic.values[k])) < abs($1 - Double(analytic.values[k])) }!
            }
            outcome = Self.compare(analytic.values, closest, shape: x.shape)
            if outcome.error <= Self.gradientTolerance { break }
        }
        let steps = Self.finiteDifferenceSteps.prefix(estimates.count).map { "\($0)" }.joined(separator: " and ")
        guard outcome.error <= Self.gradientTolerance else {
            throw ConformanceFailure(
                "backward's grad_input disagrees with central differences of L = sum(r * forward(x)): "
                    + "\(outcome.report) (steps \(steps))")
        }

        let step = try checkOneStepLowersLoss(s, x: x, r: r, declared: declared)
        return "input gradient matches central differences (\(x.values.count) elements, steps \(steps), relative error "
            + String(format: "%.1e", outcome.error) + "); \(step)"
    }

    /// dL/dx by central differences, each from two inference forwards.
    private func finiteDifferences(_ s: ProbeSession, x: Tensor, r: Tensor, eps: Float) throws -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(x.values.count)
        for k in x.values.indices {
            var plus = x, minus = x
            plus.values[k] += eps
            minus.values[k] -= eps
            let lp = Self.loss(try forward(s, plus), r), lm = Self.loss(try forward(s, minus), r)
            out.append((lp - lm) / Double(plus.values[k] - minus.values[k]))
        }
        return out
    }

    /// The relative error of `analytic` against `numeric`, and a description of the worst element.
    static func compare(_ analytic: [Float], _ numeric: [Double], shape: [Int]) -> (Double, String) {
        var diff = 0.0, a2 = 0.0, n2 = 0.0, worst = 0, worstDiff = -1.0
        for (k, (a, n)) in zip(analytic, numeric).enumerated() {
            let d = Double(a) - n
            diff += d * d
            a2 += Double(a) * Double(a)
            n2 += n * n
            if abs(d) > worstDiff { worstDiff = abs(d); worst = k }
        }
        let scale = max(a2.squareRoot(), n2.squareRoot())
        // Both (near) zero: a constant function, consistently differentiated.
        guard scale > 1e-6 else { return (0, "both gradients are zero") }
        let error = diff.squareRoot() / scale
        let cols = shape.dropFirst().reduce(1, *)
        let report = String(
            format: "relative error %.3g; worst element [%d, %d]: backward %.6g, differences %.6g",
            error, worst / cols, worst % cols, Double(analytic[worst]), numeric[worst])
        return (error, report)
    }

    /// One step with a tiny learning rate must lower `L` (the parameter gradients' direction).
    /// Each try configures afresh, which discards the gradients accumulated so far.
    private func checkOneStepLowersLoss(_ s: ProbeSession, x: Tensor, r: Tensor, declared: ParameterSchema) throws -> String {
        let rates: [Double?] = declared["learning_rate"]?.type == .number ? Self.probeLearningRates : [nil]
        var tried: [String] = []
        for rate in rates {
            let params = parameters(learningRate: rate, noDropout: true, declared: declared)
            let configured = try s.configure(shapes, seed: seed, parameters: params)
            guard configured.parameterCount > 0 else { return "no trainable parameters, so no step to check" }
            let before = Self.loss(try forward(s, x), r)
            let steps = try trainStep(s, x: x, r: r)
            guard steps == 1 else {
                throw ConformanceFailure("the first step after configure answered steps \(steps), expected 1")
            }
            let after = Self.loss(try forward(s, x), r)
            let lr = params["learning_rate"].map { "learning_rate \($0)" } ?? "the default learning rate"
            if after < before {
                return String(format: "one step with %@ lowers L from %.6g to %.6g", lr, before, after)
            }
            tried.append(String(format: "with %@: %.6g before, %.6g after", lr, before, after))
        }
        throw ConformanceFailure(
            "one step did not lower L = sum(r * forward(x)) (\(tried.joined(separator: "; "))): "
                + "the parameter gradients or the update go the wrong way")
    }
}
