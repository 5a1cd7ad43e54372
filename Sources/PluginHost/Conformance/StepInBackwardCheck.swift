import PluginProtocol

extension ConformanceChecker {
    /// `step in backward` (only for plugins that declare `step_in_backward`): `backward` with
    /// `"step": true` trains exactly as `backward` then `step` do (two processes, same seed,
    /// the same outputs bit for bit after two training steps), and answers the same
    /// `grad_input`, the one from before the step.
    func checkStepInBackward() throws -> String {
        let fused = try start()
        defer { fused.stop() }
        guard fused.info?.supports(PluginCapability.stepInBackward) == true else {
            return "the capability is not declared: the coordinator sends step"
        }
        let separate = try start()
        defer { separate.stop() }
        let x = input(batch: 2, stream: 41)
        let r = randomTensor([2] + shapes.output, in: -1...1, stream: 42)
        let probe = input(batch: 3, stream: 43)
        let needInput = role == .decoder
        for round in 1...2 {
            _ = try forward(fused, x, training: true)
            let g1 = try fused.call(
                MethodName.backward, BackwardParams(gradOutput: r, needInputGradient: needInput, step: true),
                as: BackwardResult.self
            ).gradInput
            _ = try forward(separate, x, training: true)
            let g2 = try backward(separate, r, needInputGradient: needInput)
            _ = try separate.call(MethodName.step, Empty(), as: StepResult.self)
            if needInput {
                guard let g1, let g2 else { throw ConformanceFailure("backward with step true answered no grad_input") }
                if let d = Self.difference(g1, g2) {
                    throw ConformanceFailure("backward with step true answers another grad_input than backward alone: \(d)")
                }
            }
            if let d = Self.difference(try forward(fused, probe), try forward(separate, probe)) {
                throw ConformanceFailure(
                    "after \(round) training step(s), backward with step true differs from backward then step: \(d)")
            }
        }
        return "backward with step true trains bit for bit as backward then step (two steps, same seed)"
    }
}
