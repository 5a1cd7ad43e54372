import PluginProtocol

extension ConformanceChecker {
    /// `determinism`: two fresh processes configured with the same seed compute the same
    /// outputs bit for bit, before and after a training step; and `configure` again with
    /// that seed rebuilds the same initial model (the interface-size search relies on it).
    func checkDeterminism() throws -> String {
        let x = input(batch: 3, stream: 31)
        let trainX = input(batch: 2, stream: 32)
        let r = randomTensor([2] + shapes.output, in: -1...1, stream: 33)
        func run() throws -> (ProbeSession, Tensor, Tensor) {
            let s = try start()
            let initial = try forward(s, x)
            _ = try trainStep(s, x: trainX, r: r)
            return (s, initial, try forward(s, x))
        }
        let (first, initial1, trained1) = try run()
        defer { first.stop() }
        let (second, initial2, trained2) = try run()
        second.stop()
        if let d = Self.difference(initial1, initial2) {
            throw ConformanceFailure("two processes configured with seed \(seed) compute different outputs: \(d)")
        }
        if let d = Self.difference(trained1, trained2) {
            throw ConformanceFailure("two processes with seed \(seed) differ after the same training step: \(d)")
        }
        try first.configure(shapes, seed: seed, parameters: [:])
        if let d = Self.difference(initial1, try forward(first, x)) {
            throw ConformanceFailure("configure again with seed \(seed) does not rebuild the same model: \(d)")
        }
        return
            "two processes with seed \(seed) agree bit for bit before and after a training step; configure again rebuilds the same model"
    }
}
