import PluginProtocol

extension ConformanceChecker {
    /// `fit` (only for plugins that declare the capability): statistics of sample windows
    /// are accepted; statistics of the wrong shape are refused with `-32602`; the fitted
    /// model is deterministic (two processes fitted alike agree bit for bit) and its fit is
    /// part of its state (exported, then imported into an unfitted process, the same outputs).
    func checkFit() throws -> String {
        let a = try start()
        defer { a.stop() }
        guard a.info?.supports(PluginCapability.fit) == true else {
            return "the capability is not declared: the coordinator never sends fit"
        }
        let statistics = sampleStatistics()
        let x = input(batch: 3, stream: 31)
        _ = try a.call(MethodName.fit, statistics, as: Empty.self)
        let fitted = try forward(a, x)

        let b = try start()
        defer { b.stop() }
        let window = statistics.mean.shape[0]
        let wrong = FitParams(
            count: statistics.count, mean: Tensor(shape: [window - 1], values: Array(statistics.mean.values.dropLast())),
            covariance: statistics.covariance)
        try Self.expectError(
            try b.request(MethodName.fit, wrong), code: RPCErrorCode.invalidParams, "fit with a mean of \(window - 1) values")
        _ = try b.call(MethodName.fit, statistics, as: Empty.self)
        if let d = Self.difference(fitted, try forward(b, x)) {
            throw ConformanceFailure("two processes fitted with the same statistics disagree: \(d)")
        }

        let state = try a.call(MethodName.exportState, Empty(), as: ModelState.self)
        let c = try start()
        defer { c.stop() }
        _ = try c.call(MethodName.importState, state, as: Empty.self)
        if let d = Self.difference(fitted, try forward(c, x)) {
            throw ConformanceFailure(
                "a fitted model's export_state, imported into an unfitted process, gives other outputs (the fit is not in the state): \(d)"
            )
        }
        return "statistics of \(statistics.count) windows accepted, a misshapen mean refused with -32602; "
            + "the fit is deterministic and carried by export_state"
    }

    /// Mean and covariance of random windows of the probe's window size.
    func sampleStatistics() -> FitParams {
        let window = role == .encoder ? shapes.input[0] : shapes.output[0]
        let n = 64
        let values = randomTensor([n, window], in: 0.1...0.9, stream: 30).values.map(Double.init)
        var mean = [Double](repeating: 0, count: window)
        for r in 0..<n { for j in 0..<window { mean[j] += values[r * window + j] / Double(n) } }
        var covariance = [Double](repeating: 0, count: window * window)
        for r in 0..<n {
            for i in 0..<window {
                for j in 0..<window {
                    covariance[i * window + j] +=
                        (values[r * window + i] - mean[i]) * (values[r * window + j] - mean[j]) / Double(n)
                }
            }
        }
        return FitParams(
            count: n, mean: Tensor(shape: [window], values: mean.map(Float.init)),
            covariance: Tensor(shape: [window, window], values: covariance.map(Float.init)))
    }
}
