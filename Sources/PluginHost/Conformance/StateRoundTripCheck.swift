import PluginProtocol

extension ConformanceChecker {
    /// `state round trip`: a model trained one step and exported is imported into a second,
    /// fresh process configured identically but with another seed; that process must then
    /// compute the same outputs bit for bit and export the same tensors. A state missing a
    /// tensor, with an unexpected one or with a misshapen one is refused with `-32001` and
    /// changes nothing.
    func checkStateRoundTrip() throws -> String {
        let x = input(batch: 3, stream: 21)
        let r = randomTensor([2] + shapes.output, in: -1...1, stream: 22)

        let a = try start()
        defer { a.stop() }
        _ = try trainStep(a, x: input(batch: 2, stream: 23), r: r)
        let exported = try a.call(MethodName.exportState, Empty(), as: ModelState.self)
        let expected = try forward(a, x)

        let b = try start(seed: seed + 1)
        defer { b.stop() }
        _ = try b.call(MethodName.importState, exported, as: Empty.self)
        let imported = try forward(b, x)
        if let d = Self.difference(expected, imported) {
            throw ConformanceFailure(
                "after import_state into a second process (seed \(seed + 1)), forward differs from the exporting process: \(d)")
        }
        let reexported = try b.call(MethodName.exportState, Empty(), as: ModelState.self).tensors
        guard Set(reexported.keys) == Set(exported.tensors.keys) else {
            throw ConformanceFailure(
                "export_state after import_state names \(reexported.keys.sorted()), the import had \(exported.tensors.keys.sorted())"
            )
        }
        for name in exported.tensors.keys.sorted() {
            if let d = Self.difference(exported.tensors[name]!, reexported[name]!) {
                throw ConformanceFailure("export_state after import_state differs in tensor '\(name)': \(d)")
            }
        }

        // Mismatched states are refused whole.
        guard let name = exported.tensors.keys.sorted().first, let tensor = exported.tensors[name] else {
            return "no tensors to carry; outputs agree across processes"
        }
        var missing = exported.tensors
        missing[name] = nil
        var extra = exported.tensors
        extra["conformance_extra"] = Tensor(shape: [1], values: [0.25])
        var misshapen = exported.tensors
        misshapen[name] = Tensor(shape: tensor.shape + [1], values: tensor.values.map { $0 + 1 })
        if tensor.shape.count >= Tensor.maxRank {
            misshapen[name] = Tensor(shape: [tensor.values.count + 1], values: tensor.values + [1])
        }
        for (state, what) in [
            (missing, "a state without '\(name)'"), (extra, "a state with the extra tensor 'conformance_extra'"),
            (misshapen, "a state with '\(name)' misshapen"),
        ] {
            try Self.expectError(
                try b.request(MethodName.importState, ModelState(tensors: state)), code: RPCErrorCode.stateMismatch,
                "import_state of \(what)")
        }
        if let d = Self.difference(expected, try forward(b, x)) {
            throw ConformanceFailure("a refused import_state changed the model: \(d)")
        }
        return "\(exported.tensors.count) tensor(s) exported after a step and imported into another process (seed \(seed + 1)): "
            + "same outputs and tensors bit for bit; mismatched states refused with -32001, leaving the model as it was"
    }
}
