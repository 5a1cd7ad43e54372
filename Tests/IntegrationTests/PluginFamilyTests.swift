import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// The CNN, LSTM and transformer plugins: whole runs on small slices of the sample data
/// (tiny windows, few epochs), with each other and with the ANN, and their refusals at configure.
final class PluginFamilyTests: XCTestCase {
    static let families = ["cnn", "lstm", "transformer"]

    private func config(_ dir: TemporaryDirectory, encoder: String, decoder: String) -> RunConfiguration {
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 2000
        c.windowSize = 32
        c.initialSize = 8
        c.batchSize = 32
        c.epochs = 3
        c.earlyStoppingPatience = 0
        c.encoderPlugin = encoder
        c.decoderPlugin = decoder
        c.outputFile = dir.file("features.csv")
        return c
    }

    private func run(_ c: RunConfiguration) throws -> RunSummary {
        try FeatureExtractionRun(config: c, environment: TestPlugins.environment()).run()
    }

    func testEachFamilyTrainsEndToEndAndItsValidationErrorDrops() throws {
        for family in Self.families {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            var c = config(dir, encoder: family, decoder: family)
            c.epochs = 4
            // The network itself, from its random start (with the linear path it starts as PCA).
            c.encoder = ["linear_path": .bool(false)]
            c.decoder = ["linear_path": .bool(false)]
            let s = try run(c)
            let epochs = try XCTUnwrap(s.training.last?.epochs)
            XCTAssertEqual(epochs.count, 4, family)
            let mse = epochs.compactMap(\.validationMSE)
            XCTAssertEqual(mse.count, 4, family)
            XCTAssertLessThan(mse.last!, mse.first!, "\(family): validation MSE by epoch \(mse)")
            XCTAssertTrue(mse.allSatisfy(\.isFinite), family)
            XCTAssertEqual(s.encoder.name, family)
            XCTAssertEqual(s.decoder?.name, family)
            XCTAssertGreaterThan(s.encoder.parameterCount ?? 0, 0)
            // The plugin reports its knobs and the standard variables.
            XCTAssertEqual(s.encoder.debugInfo["input_shape"], .array([.number(32)]), family)
            XCTAssertEqual(s.decoder?.debugInfo["output_shape"], .array([.number(32)]), family)
            XCTAssertNotNil(s.encoder.debugInfo["dropout_rate"], family)
            XCTAssertGreaterThan(s.encoder.debugInfo["steps"]?.doubleValue ?? 0, 0, family)
            let rows = try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(rows.first?.split(separator: ",").count, 8, family)
        }
    }

    /// Growing search with a threshold no model meets: every size is configured and trained in turn.
    /// Each family runs on one side with the ANN on the other, both ways round.
    func testIncrementalSearchWithEveryFamilyPairedWithTheANN() throws {
        for family in Self.families {
            for (encoder, decoder) in [(family, "ann"), ("ann", family)] {
                let dir = try TemporaryDirectory()
                defer { dir.remove() }
                var c = config(dir, encoder: encoder, decoder: decoder)
                c.maxSteps = 1200
                c.windowSize = 16
                c.initialSize = 4
                c.stepSize = 8
                c.epochs = 1
                c.thresholdError = 1e-12
                let s = try run(c)
                let steps = try XCTUnwrap(s.search, "\(encoder) + \(decoder)")
                XCTAssertEqual(steps.map(\.interfaceSize), [4, 12, 16], "\(encoder) + \(decoder)")
                XCTAssertTrue(steps.allSatisfy { !$0.metThreshold && $0.validationMSE.isFinite }, "\(encoder) + \(decoder)")
                XCTAssertEqual(s.interfaceSize, 16)
                let header = try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8).prefix { $0 != "\n" }
                XCTAssertEqual(header.split(separator: ",").count, 16, "\(encoder) + \(decoder)")
            }
        }
    }

    /// A threshold that is met stops the search at once, with the chosen model's features written.
    func testSearchStopsWhenAFamilyMeetsTheThreshold() throws {
        for family in Self.families {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            var c = config(dir, encoder: family, decoder: family)
            c.maxSteps = 1200
            c.windowSize = 16
            c.initialSize = 4
            c.stepSize = 4
            c.epochs = 1
            c.thresholdError = 1
            let s = try run(c)
            XCTAssertEqual(s.search?.map(\.interfaceSize), [4], family)
            XCTAssertEqual(s.search?.first?.metThreshold, true, family)
        }
    }

    func testSaveLoadEvaluateReproducesFeaturesExactly() throws {
        for family in Self.families {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            var c = config(dir, encoder: family, decoder: family)
            c.maxSteps = 1200
            c.epochs = 1
            c.saveEncoder = dir.file("enc.safetensors")
            c.saveDecoder = dir.file("dec.safetensors")
            c.evaluateEncoder = dir.file("eval-features.csv")
            c.evaluateDecoder = dir.file("reconstruction.csv")
            _ = try run(c)

            var l = config(dir, encoder: family, decoder: family)
            l.maxSteps = 1200
            l.loadEncoder = dir.file("enc.safetensors")
            l.loadDecoder = dir.file("dec.safetensors")
            l.outputFile = dir.file("features-loaded.csv")
            l.evaluateEncoder = dir.file("eval-features-loaded.csv")
            l.evaluateDecoder = dir.file("reconstruction-loaded.csv")
            let s = try run(l)
            XCTAssertTrue(s.training.isEmpty, "\(family): a loaded model is not trained again")
            for (a, b) in [
                ("features.csv", "features-loaded.csv"), ("eval-features.csv", "eval-features-loaded.csv"),
                ("reconstruction.csv", "reconstruction-loaded.csv"),
            ] {
                let first = try Data(contentsOf: URL(fileURLWithPath: dir.file(a)))
                let second = try Data(contentsOf: URL(fileURLWithPath: dir.file(b)))
                XCTAssertFalse(first.isEmpty, "\(family): \(a)")
                XCTAssertEqual(first, second, "\(family): \(b) differs from \(a)")
            }
        }
    }

    /// Windows that fit no patch or pooling evenly, the non-default architectures, both roles:
    /// forward and backward have the protocol's shapes and finite values.
    func testVariantsKeepTheProtocolShapes() throws {
        let variants: [String: [[String: JSONValue]]] = [
            "cnn": [
                [:], ["pooling": .string("max")], ["pooling": .string("average"), "spectral": .bool(true)],
                [
                    "intermediate_layers": .number(2), "layer_size_divisor": .number(3), "kernel_size": .number(4),
                    "activation": .string("relu"), "dropout_rate": .number(0.2),
                ],
            ],
            "lstm": [
                [:], ["spectral": .bool(false)],
                [
                    "intermediate_layers": .number(2), "patch_size": .number(3),
                    "dropout_rate": .number(0.2),
                ],
            ],
            "transformer": [
                [:], ["spectral": .bool(false), "heads": .number(2)],
                [
                    "intermediate_layers": .number(2), "initial_layer_size": .number(16), "heads": .number(4),
                    "ff_size": .number(8), "patch_size": .number(3), "dropout_rate": .number(0.1),
                ],
            ],
        ]
        let window = 21, interface = 5, batch = 3
        for family in Self.families {
            for role in PluginRole.allCases {
                let c = try TestPlugins.connect(family, role)
                defer { c.shutdown() }
                let (input, output) = role == .encoder ? (window, interface) : (interface, window)
                for parameters in variants[family]! {
                    let label = "\(family) \(role) \(parameters)"
                    _ = try c.call(
                        MethodName.configure,
                        ConfigureParams(
                            inputShape: [input], outputShape: [output], seed: 9,
                            parameters: parameters), as: ConfigureResult.self)
                    let x = Tensor(rows: batch, cols: input, values: (0..<(batch * input)).map { 0.5 + 0.2 * sin(Float($0) / 3) })
                    let y = try c.call(MethodName.forward, ForwardParams(input: x, training: true), as: ForwardResult.self).output
                    XCTAssertEqual(y.shape, [batch, output], label)
                    let g = try c.call(
                        MethodName.backward,
                        BackwardParams(gradOutput: Tensor(rows: batch, cols: output, values: y.values), needInputGradient: true),
                        as: BackwardResult.self
                    ).gradInput
                    XCTAssertEqual(g?.shape, [batch, input], label)
                    XCTAssertTrue(g?.values.allSatisfy(\.isFinite) ?? false, label)
                    _ = try c.call(MethodName.step, Empty(), as: StepResult.self)
                    let big = Tensor(rows: 600, cols: input, values: (0..<(600 * input)).map { Float($0 % 17) / 17 })
                    let inferred = try c.call(
                        MethodName.forward, ForwardParams(input: big, training: false), as: ForwardResult.self
                    ).output
                    XCTAssertEqual(inferred.shape, [600, output], label)
                    // Chunked inference gives each row what it gets alone (up to BLAS's batch-dependent rounding).
                    let row = Tensor(rows: 1, cols: input, values: Array(big.values[(599 * input)...]))
                    let alone = try c.call(MethodName.forward, ForwardParams(input: row, training: false), as: ForwardResult.self)
                        .output
                    for (a, b) in zip(inferred.values[(599 * output)...], alone.values) {
                        XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), label)
                    }
                }
            }
        }
    }

    // MARK: - Refusals at configure

    private func assertRefused(
        _ name: String, _ role: PluginRole, input: [Int], output: [Int],
        _ parameters: [String: JSONValue] = [:], naming expected: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let c = try TestPlugins.connect(name, role)
        defer { c.shutdown() }
        XCTAssertThrowsError(
            try c.call(
                MethodName.configure,
                ConfigureParams(
                    inputShape: input, outputShape: output, seed: 1,
                    parameters: parameters), as: ConfigureResult.self),
            file: file, line: line
        ) { error in
            guard case PluginError.remoteError(_, _, let rpc) = error else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(rpc.code, RPCErrorCode.invalidParams, rpc.message, file: file, line: line)
            XCTAssertTrue(
                rpc.message.contains(expected), "\(name) \(role): '\(rpc.message)' should name \(expected)",
                file: file, line: line)
        }
        // Still serving, and a valid configuration is accepted afterwards.
        let window = role == .encoder ? 32 : 8, other = role == .encoder ? 8 : 32
        XCTAssertNoThrow(
            try c.call(
                MethodName.configure,
                ConfigureParams(
                    inputShape: [window], outputShape: [other], seed: 1,
                    parameters: [:]), as: ConfigureResult.self),
            file: file, line: line)
    }

    func testImpossibleShapesAndParametersAreRefusedAtConfigure() throws {
        for family in Self.families {
            // The window has one channel.
            try assertRefused(family, .encoder, input: [32, 3], output: [8], naming: "input_shape")
            try assertRefused(family, .decoder, input: [8], output: [32, 2], naming: "output_shape")
        }
        // A window too short for the pooling, a kernel longer than the window.
        try assertRefused(
            "cnn", .encoder, input: [16], output: [4], ["intermediate_layers": .number(5)], naming: "intermediate_layers")
        try assertRefused(
            "cnn", .decoder, input: [4], output: [16], ["layer_size_divisor": .number(4), "intermediate_layers": .number(3)],
            naming: "layer_size_divisor")
        try assertRefused("cnn", .encoder, input: [8], output: [4], ["kernel_size": .number(9)], naming: "kernel_size")
        // Patches longer than the window.
        try assertRefused("lstm", .encoder, input: [8], output: [4], ["patch_size": .number(9)], naming: "patch_size")
        try assertRefused("transformer", .decoder, input: [4], output: [8], ["patch_size": .number(16)], naming: "patch_size")
        // Heads that do not divide the width (of the first block, or of a later, narrower one).
        try assertRefused("transformer", .encoder, input: [32], output: [8], ["heads": .number(3)], naming: "heads")
        try assertRefused(
            "transformer", .decoder, input: [8], output: [32],
            ["heads": .number(8), "initial_layer_size": .number(24), "intermediate_layers": .number(2)], naming: "heads")
        // Out-of-range values are refused by the schema, naming the parameter.
        try assertRefused("lstm", .decoder, input: [8], output: [32], ["dropout_rate": .number(1.5)], naming: "dropout_rate")
    }

    func testImpossibleParameterFailsTheRunBeforeTrainingWithItsName() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir, encoder: "cnn", decoder: "ann")
        c.encoder = ["intermediate_layers": .number(6)]
        XCTAssertThrowsError(try run(c)) { error in
            XCTAssertTrue("\(error)".contains("intermediate_layers"), "\(error)")
        }
        XCTAssertEqual(dir.contents(), [], "a failed run writes nothing")
    }

    /// Every family's knobs are declared with a range or choices and a description, and reported by debug_info.
    func testSchemasDeclareTheKnobsAndDebugInfoReportsThem() throws {
        let common = [
            "initial_layer_size", "layer_size_divisor", "intermediate_layers", "activation", "learning_rate",
            "learning_rate_decay", "dropout_rate", "l2_reg", "spectral",
        ]
        let own = ["cnn": ["kernel_size"], "lstm": [], "transformer": ["heads", "ff_size"]]
        for family in Self.families {
            for role in PluginRole.allCases {
                let c = try TestPlugins.connect(family, role)
                defer { c.shutdown() }
                let info = try XCTUnwrap(c.info)
                for name in common + own[family]! {
                    let spec = try XCTUnwrap(info.parameters[name], "\(family) \(role) lacks \(name)")
                    XCTAssertFalse(spec.description.isEmpty)
                    switch spec.type {
                    case .integer, .number: XCTAssertTrue(spec.minimum != nil && spec.maximum != nil, "\(family) \(name)")
                    case .string: XCTAssertNotNil(spec.allowed, "\(family) \(name)")
                    case .boolean: break
                    }
                    XCTAssertTrue(info.debugVariables.contains(name), "\(family) \(role) does not report \(name)")
                }
                let (input, output) = role == .encoder ? ([32], [8]) : ([8], [32])
                _ = try c.call(
                    MethodName.configure,
                    ConfigureParams(
                        inputShape: input, outputShape: output, seed: 3,
                        parameters: ["dropout_rate": .number(0.25), "l2_reg": .number(1e-4)]),
                    as: ConfigureResult.self)
                let debug = try c.call(MethodName.debugInfo, Empty(), as: DebugInfoResult.self).variables
                XCTAssertEqual(debug["dropout_rate"], .number(0.25), family)
                XCTAssertEqual(debug["l2_reg"], .number(1e-4), family)
                XCTAssertEqual(debug["input_shape"], .array(input.map { .number(Double($0)) }), family)
            }
        }
    }

    /// Dropout only acts in training; an inference forward is deterministic and changes nothing,
    /// and L2 reaches the kernels but not the biases.
    func testDropoutAndKernelOnlyL2() throws {
        for family in Self.families {
            let c = try TestPlugins.connect(family, .encoder)
            defer { c.shutdown() }
            _ = try c.call(
                MethodName.configure,
                ConfigureParams(
                    inputShape: [32], outputShape: [8], seed: 5,
                    parameters: ["dropout_rate": .number(0.5), "l2_reg": .number(0.5)]),
                as: ConfigureResult.self)
            let x = Tensor(rows: 4, cols: 32, values: (0..<128).map { 0.5 + 0.1 * sin(Float($0) / 5) })
            func infer() throws -> [Float] {
                try c.call(MethodName.forward, ForwardParams(input: x, training: false), as: ForwardResult.self).output.values
            }
            let before = try infer()
            XCTAssertEqual(try infer(), before, family)
            let before0 = try c.call(MethodName.exportState, Empty(), as: ModelState.self).tensors
            // A zero output gradient: only the L2 term moves anything.
            _ = try c.call(MethodName.forward, ForwardParams(input: x, training: true), as: ForwardResult.self)
            _ = try c.call(
                MethodName.backward,
                BackwardParams(
                    gradOutput: Tensor(rows: 4, cols: 8, values: [Float](repeating: 0, count: 32)),
                    needInputGradient: false), as: BackwardResult.self)
            _ = try c.call(MethodName.step, Empty(), as: StepResult.self)
            let after = try c.call(MethodName.exportState, Empty(), as: ModelState.self).tensors
            for (name, t) in before0 {
                let moved = t.values != after[name]!.values
                let isBias = name.hasSuffix(".bias") || name.hasSuffix(".gamma") || name.hasSuffix(".beta")
                let nonZero = t.values.contains { $0 != 0 }
                if name.hasPrefix("pca.") {
                    XCTAssertFalse(moved, "\(family): the fitted linear path moved (\(name))")
                } else if isBias {
                    XCTAssertFalse(moved, "\(family): L2 moved \(name)")
                } else if nonZero {
                    XCTAssertTrue(moved, "\(family): L2 did not reach \(name)")
                }
            }
        }
    }
}
