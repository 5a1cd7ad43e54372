import PluginProtocol

extension ConformanceChecker {
    /// `parameter schema`: `configure` without parameters fills in every default (and nothing
    /// undeclared); the defaults given explicitly are accepted; for each declared parameter,
    /// values of the wrong type, out of range or not in the enum are refused with `-32602`,
    /// as is an unknown name; the plugin keeps answering throughout.
    func checkParameterSchema() throws -> String {
        let s = try start(parameters: nil)
        defer { s.stop() }
        let declared = s.info?.parameters ?? [:]

        let effective = try s.configure(shapes, seed: seed, parameters: [:]).parameters
        for name in declared.keys.sorted() {
            guard let value = effective[name] else {
                throw ConformanceFailure("configure does not report the effective value of '\(name)'")
            }
            guard value == declared[name]!.defaultValue else {
                throw ConformanceFailure(
                    "configure without parameters reports '\(name)' = \(value), but its declared default is \(declared[name]!.defaultValue)"
                )
            }
        }
        if let extra = effective.keys.sorted().first(where: { declared[$0] == nil }) {
            throw ConformanceFailure(
                "configure reports the undeclared parameter '\(extra)'; a saved model would send it back and be refused")
        }
        try s.configure(shapes, seed: seed, parameters: declared.mapValues(\.defaultValue))

        var refused = 0
        for name in declared.keys.sorted() {
            for (value, why) in Self.invalidValues(for: declared[name]!) {
                let params = ConfigureParams(
                    inputShape: shapes.input, outputShape: shapes.output, seed: seed, parameters: [name: value])
                try Self.expectError(
                    try s.request(MethodName.configure, params), code: RPCErrorCode.invalidParams,
                    "configure with \(name) = \(value) (\(why))")
                refused += 1
            }
        }
        let unknown = ConfigureParams(
            inputShape: shapes.input, outputShape: shapes.output, seed: seed,
            parameters: ["no_such_parameter": .number(1)])
        try Self.expectError(
            try s.request(MethodName.configure, unknown), code: RPCErrorCode.invalidParams,
            "configure with the undeclared parameter no_such_parameter")
        // Still answering, and still usable.
        try s.configure(shapes, seed: seed, parameters: [:])
        _ = try forward(s, input(batch: 2))
        return
            "\(declared.count) parameter(s): defaults filled in and accepted; \(refused + 1) invalid value(s) refused with -32602 "
            + "(wrong type, out of range, not in enum, unknown name); still answering"
    }

    /// Values that do not fit `spec`, each with the reason.
    static func invalidValues(for spec: ParameterSpec) -> [(JSONValue, String)] {
        var out: [(JSONValue, String)] = [(.null, "null")]
        switch spec.type {
        case .integer, .number:
            out.append((.string("1"), "wrong type: a string"))
            out.append((.bool(true), "wrong type: a boolean"))
            if let minimum = spec.minimum {
                let below = spec.type == .integer ? (minimum - 1).rounded(.down) : minimum - max(1, abs(minimum))
                out.append((.number(below), "below the minimum \(JSONValue.number(minimum))"))
            }
            if let maximum = spec.maximum {
                let above = spec.type == .integer ? (maximum + 1).rounded(.up) : maximum + max(1, abs(maximum))
                out.append((.number(above), "above the maximum \(JSONValue.number(maximum))"))
            }
            if spec.type == .integer {
                let base = spec.defaultValue.doubleValue ?? 0
                let fraction = spec.maximum.map { base + 0.5 > $0 } == true ? base - 0.5 : base + 0.5
                out.append((.number(fraction), "not an integer"))
            }
        case .string:
            out.append((.number(1), "wrong type: a number"))
            if spec.allowed != nil { out.append((.string("not-one-of-the-enum"), "not in enum")) }
        case .boolean:
            out.append((.string("true"), "wrong type: a string"))
            out.append((.number(1), "wrong type: a number"))
        }
        return out
    }
}
