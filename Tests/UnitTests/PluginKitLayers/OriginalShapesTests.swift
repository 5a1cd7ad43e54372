import XCTest

@testable import PluginKit

/// The sequence families built on the Python original's Keras shapes through the list and
/// shape knobs: the same parameter counts as Keras' models (the figures Keras' `count_params`
/// gives for them, in CONTRIBUTING.md), gradients through every new wiring, and the knobs'
/// refusals.
final class OriginalShapesTests: XCTestCase {
    typealias Build = (ModelConfiguration, inout SeededGenerator) throws(RPCError) -> Sequential

    static let common: [String: JSONValue] = ["spectral": .bool(false), "linear_path": .bool(false)]

    static let cnn: [String: JSONValue] = [
        "pooling": .string("max"), "activation": .string("relu"), "interface_activation": .string("tanh"),
        "output_activation": .string("tanh"),
    ]
    static let cnnEncoder: [String: JSONValue] = [
        "filters": .string("128,68,36,20,4"), "kernel_sizes": .string("5,5,3,3,3"), "pool_sizes": .string("2,2,2,5,2"),
    ]
    static let cnnDecoder: [String: JSONValue] = [
        "dense_sizes": .string("4,8"), "filters": .string("1,1,1"), "kernel_sizes": .string("3,3,3"),
        "pool_sizes": .string("4,4,1"),
    ]
    static let lstm: [String: JSONValue] = [
        "patch_size": .number(1), "activation": .string("relu"), "interface_activation": .string("tanh"),
        "output_activation": .string("tanh"),
    ]
    static let lstmDecoder: [String: JSONValue] = [
        "units": .string("4,8,16,32,64,128"), "bidirectional": .bool(true), "repeat_vector": .bool(true),
    ]
    static let transformer: [String: JSONValue] = [
        "patch_size": .number(1), "activation": .string("relu"), "norm": .string("post"),
        "positional_encoding": .bool(false),
    ]
    static let transformerEncoder: [String: JSONValue] = [
        "widths": .string("128,68,4"), "head_counts": .string("8,4,2"), "ff_sizes": .string("64,34,2"),
        "attention_residual": .bool(false), "readout": .string("average"), "interface_activation": .string("tanh"),
    ]
    static let transformerDecoder: [String: JSONValue] = [
        "widths": .string("64,64"), "head_counts": .string("8,8"), "key_sizes": .string("64,64"),
        "ff_sizes": .string("34,64"), "readout": .string("flatten"), "sequence_length": .number(4),
    ]

    func configuration(
        _ schema: ParameterSchema, _ given: [String: JSONValue], input: Int, output: Int, seed: UInt64 = 42
    ) throws -> ModelConfiguration {
        ModelConfiguration(
            inputShape: [input], outputShape: [output], seed: seed,
            parameters: try schema.resolve(Self.common.merging(given) { _, b in b }))
    }

    func build(
        _ build: Build, _ schema: ParameterSchema, _ given: [String: JSONValue], input: Int, output: Int
    ) throws -> Sequential {
        var rng = SeededGenerator(seed: 42)
        return try build(configuration(schema, given, input: input, output: output), &rng)
    }

    /// Window 128, interface 4: the counts Keras gives the original's encoder and decoder.
    func testTheOriginalShapesHaveKerasParameterCounts() throws {
        let cases: [(String, Build, Build, ParameterSchema, [String: JSONValue], [String: JSONValue], Int, Int)] = [
            (
                "cnn", CNNArchitecture.encoder, CNNArchitecture.decoder, CNNArchitecture.schema,
                Self.cnn.merging(Self.cnnEncoder) { _, b in b }, Self.cnn.merging(Self.cnnDecoder) { _, b in b },
                54_180, 72
            ),
            (
                "lstm", LSTMArchitecture.encoder, LSTMArchitecture.decoder, LSTMArchitecture.schema,
                Self.lstm.merging(["units": .string("128,64")]) { _, b in b },
                Self.lstm.merging(Self.lstmDecoder) { _, b in b }, 116_228, 351_733
            ),
            (
                "transformer", TransformerArchitecture.encoder, TransformerArchitecture.decoder,
                TransformerArchitecture.schema, Self.transformer.merging(Self.transformerEncoder) { _, b in b },
                Self.transformer.merging(Self.transformerDecoder) { _, b in b }, 116_344, 315_830
            ),
        ]
        for (family, encoder, decoder, schema, e, d, encoderCount, decoderCount) in cases {
            let enc = try build(encoder, schema, e, input: 128, output: 4)
            let dec = try build(decoder, schema, d, input: 4, output: 128)
            XCTAssertEqual(enc.weightCount, encoderCount, family)
            XCTAssertEqual(dec.weightCount, decoderCount, family)
            var rng = SeededGenerator(seed: 1)
            let x = MathTestSupport.randomMatrix(rows: 3, cols: 128, rng: &rng, low: 0, high: 1)
            let z = enc.forward(x, training: false)
            XCTAssertEqual(z.cols, 4, family)
            // tanh at the interface (and at the window for cnn and lstm), as the original.
            XCTAssertTrue(z.values.allSatisfy { abs($0) <= 1 }, family)
            let y = dec.forward(z, training: false)
            XCTAssertEqual(y.cols, 128, family)
            XCTAssertTrue(y.values.allSatisfy(\.isFinite), family)
            if family != "transformer" { XCTAssertTrue(y.values.allSatisfy { abs($0) <= 1 }, family) }
        }
    }

    /// Gradients through the new wiring, on small versions of the original shapes (window 20,
    /// interface 3): per-block conv sizes with floor pooling and a dense-fed decoder; repeated
    /// vector into bidirectional LSTMs; post-norm blocks with and without the attention residual,
    /// a key size other than width / heads, global average pooling and a flatten readout.
    func testGradientsThroughTheOriginalShapes() throws {
        let window = 20, interface = 3
        let cases: [(String, Build, ParameterSchema, [String: JSONValue], Int, Int)] = [
            (
                "cnn encoder", CNNArchitecture.encoder, CNNArchitecture.schema,
                Self.cnn.merging([
                    "filters": .string("3,2"), "kernel_sizes": .string("3,2"), "pool_sizes": .string("3,2"),
                    "activation": .string("tanh"), "pooling": .string("average"),
                ]) { _, b in b }, window, interface
            ),
            (
                "cnn decoder", CNNArchitecture.decoder, CNNArchitecture.schema,
                Self.cnn.merging([
                    "dense_sizes": .string("4,5"), "filters": .string("2,1"), "kernel_sizes": .string("3,3"),
                    "pool_sizes": .string("2,2"), "activation": .string("tanh"), "pooling": .string("average"),
                ]) { _, b in b }, interface, window
            ),
            (
                "lstm encoder", LSTMArchitecture.encoder, LSTMArchitecture.schema,
                Self.lstm.merging(["units": .string("3,2"), "bidirectional": .bool(true), "patch_size": .number(4)]) {
                    a, _ in a
                }, window, interface
            ),
            (
                "lstm decoder", LSTMArchitecture.decoder, LSTMArchitecture.schema,
                Self.lstm.merging([
                    "units": .string("2,3"), "bidirectional": .bool(true), "repeat_vector": .bool(true),
                    "patch_size": .number(4), "activation": .string("tanh"),
                ]) { _, b in b }, interface, window
            ),
            (
                "transformer encoder", TransformerArchitecture.encoder, TransformerArchitecture.schema,
                Self.transformer.merging([
                    "widths": .string("4,2"), "head_counts": .string("2,1"), "ff_sizes": .string("3,2"),
                    "attention_residual": .bool(false), "readout": .string("average"), "patch_size": .number(5),
                    "activation": .string("tanh"), "interface_activation": .string("tanh"),
                ]) { _, b in b }, window, interface
            ),
            (
                "transformer decoder", TransformerArchitecture.decoder, TransformerArchitecture.schema,
                Self.transformer.merging([
                    "widths": .string("4,4"), "head_counts": .string("2,2"), "key_sizes": .string("3,3"),
                    "ff_sizes": .string("3,2"), "readout": .string("flatten"), "sequence_length": .number(3),
                    "activation": .string("tanh"), "positional_encoding": .bool(true),
                ]) { _, b in b }, interface, window
            ),
        ]
        for (i, (label, make, schema, given, input, output)) in cases.enumerated() {
            let model = try build(make, schema, given, input: input, output: output)
            LayerTestSupport.randomizeParameters(model, seed: UInt64(100 + i), scale: 0.4)
            let result = LayerTestSupport.checkGradients(
                model, batch: 2, inputSize: input, outputSize: output, seed: UInt64(200 + i), eps: 5e-3,
                tolerance: 4e-3)
            XCTAssertGreaterThan(result.checked, 0, label)
        }
    }

    /// RepeatVector is up-sampling of a one-step sequence; global average pooling is an average
    /// pool over the whole sequence; attention's key size may differ from width / heads.
    func testRepeatVectorGlobalAverageAndKeySize() throws {
        let repeatVector = UpSampling1D(inputLength: 1, channels: 3, factor: 4)
        var rng = SeededGenerator(seed: 3)
        let v = MathTestSupport.randomMatrix(rows: 2, cols: 3, rng: &rng)
        let repeated = repeatVector.forward(v, training: true)
        for b in 0..<2 {
            for t in 0..<4 { for c in 0..<3 { XCTAssertEqual(repeated[b, t * 3 + c], v[b, c]) } }
        }
        LayerTestSupport.checkGradients(repeatVector, batch: 2, inputSize: 3, outputSize: 12, seed: 4)

        let average = AveragePool1D(inputLength: 5, channels: 2, poolSize: 5)
        let x = MathTestSupport.randomMatrix(rows: 2, cols: 10, rng: &rng)
        let pooled = average.forward(x, training: true)
        XCTAssertEqual(pooled.cols, 2)
        for b in 0..<2 {
            for c in 0..<2 {
                let mean = (0..<5).map { Double(x[b, $0 * 2 + c]) }.reduce(0, +) / 5
                XCTAssertEqual(Double(pooled[b, c]), mean, accuracy: 1e-6)
            }
        }
        LayerTestSupport.checkGradients(average, batch: 2, inputSize: 10, outputSize: 2, seed: 5)

        let attention = MultiHeadSelfAttention(name: "a", length: 3, channels: 4, heads: 3, keySize: 2, rng: &rng)
        XCTAssertEqual(attention.queryKernel.value.cols, 6)
        XCTAssertEqual(attention.outputKernel.value.rows, 6)
        XCTAssertEqual(attention.outputBias.value.cols, 4)
        LayerTestSupport.randomizeParameters(attention, seed: 6)
        LayerTestSupport.checkGradients(attention, batch: 2, inputSize: 12, outputSize: 12, seed: 7, eps: 5e-3, tolerance: 3e-3)
        LayerTestSupport.checkInferenceKeepsTrainingCaches(attention, batch: 2, inputSize: 12, outputSize: 12, seed: 8)
    }

    /// Lists that restate the scalar knobs build the very model the scalar knobs build.
    func testListsThatRestateTheDefaultsBuildTheSameModel() throws {
        let pairs: [(Build, ParameterSchema, [String: JSONValue], [String: JSONValue])] = [
            (
                CNNArchitecture.encoder, CNNArchitecture.schema, ["intermediate_layers": .number(3)],
                ["filters": .string("16,16,16"), "kernel_sizes": .string("3,3,3")]
            ),
            (
                LSTMArchitecture.encoder, LSTMArchitecture.schema,
                ["intermediate_layers": .number(2), "initial_layer_size": .number(12)], ["units": .string("12,6")]
            ),
            (
                TransformerArchitecture.decoder, TransformerArchitecture.schema,
                ["intermediate_layers": .number(2), "initial_layer_size": .number(16)],
                ["widths": .string("8,16"), "head_counts": .string("4,4"), "ff_sizes": .string("64,64")]
            ),
        ]
        var rng = SeededGenerator(seed: 11)
        for (i, (make, schema, scalars, lists)) in pairs.enumerated() {
            let isDecoder = i == 2
            let (input, output) = isDecoder ? (6, 32) : (32, 6)
            let a = try build(make, schema, scalars, input: input, output: output)
            let b = try build(make, schema, scalars.merging(lists) { _, b in b }, input: input, output: output)
            XCTAssertEqual(a.weights.map(\.name), b.weights.map(\.name), "case \(i)")
            XCTAssertEqual(a.weights.map(\.value), b.weights.map(\.value), "case \(i)")
            let z = MathTestSupport.randomMatrix(rows: 2, cols: input, rng: &rng)
            XCTAssertEqual(a.forward(z, training: false), b.forward(z, training: false), "case \(i)")
        }
    }

    /// Each knob's refusal names the knob.
    func testBadListsAreRefusedNamingTheKnob() throws {
        let cases: [(Build, ParameterSchema, [String: JSONValue], Int, Int, String)] = [
            (CNNArchitecture.encoder, CNNArchitecture.schema, ["filters": .string("8,x")], 32, 4, "'filters'"),
            (CNNArchitecture.encoder, CNNArchitecture.schema, ["filters": .string("8,0")], 32, 4, "'filters'"),
            (CNNArchitecture.encoder, CNNArchitecture.schema, ["filters": .string("8,9999")], 32, 4, "'filters'"),
            (
                CNNArchitecture.encoder, CNNArchitecture.schema,
                ["filters": .string(Array(repeating: "1", count: 17).joined(separator: ","))], 32, 4, "'filters'"
            ),
            (
                CNNArchitecture.encoder, CNNArchitecture.schema,
                ["filters": .string("8,8"), "kernel_sizes": .string("3")], 32, 4, "'kernel_sizes'"
            ),
            (CNNArchitecture.encoder, CNNArchitecture.schema, ["kernel_sizes": .string("3,40")], 32, 4, "'kernel_sizes'"),
            (
                CNNArchitecture.encoder, CNNArchitecture.schema,
                ["pool_sizes": .string("4,4,4"), "pooling": .string("max")], 32, 4, "'pool_sizes'"
            ),
            (CNNArchitecture.encoder, CNNArchitecture.schema, ["dense_sizes": .string("4")], 32, 4, "'dense_sizes'"),
            (CNNArchitecture.decoder, CNNArchitecture.schema, ["filters": .string("4,2")], 4, 32, "'filters'"),
            (
                CNNArchitecture.decoder, CNNArchitecture.schema,
                ["dense_sizes": .string("2"), "filters": .string("1"), "pool_sizes": .string("4")], 4, 32, "'dense_sizes'"
            ),
            (LSTMArchitecture.encoder, LSTMArchitecture.schema, ["units": .string("4,4,4,4,4,4,4,4,4")], 32, 4, "'units'"),
            (LSTMArchitecture.encoder, LSTMArchitecture.schema, ["repeat_vector": .bool(true)], 32, 4, "'repeat_vector'"),
            (
                TransformerArchitecture.encoder, TransformerArchitecture.schema,
                ["widths": .string("8,6"), "head_counts": .string("2,4")], 32, 4, "'head_counts'"
            ),
            (
                TransformerArchitecture.encoder, TransformerArchitecture.schema,
                ["widths": .string("8,6"), "ff_sizes": .string("2")], 32, 4, "'ff_sizes'"
            ),
            (
                TransformerArchitecture.encoder, TransformerArchitecture.schema, ["readout": .string("pointwise")], 32, 4,
                "'readout'"
            ),
            (
                TransformerArchitecture.decoder, TransformerArchitecture.schema, ["sequence_length": .number(3)], 4, 32,
                "'sequence_length'"
            ),
        ]
        for (make, schema, given, input, output, knob) in cases {
            XCTAssertThrowsError(try build(make, schema, given, input: input, output: output), "\(given)") { error in
                let message = (error as? RPCError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains(knob), "\(given): '\(message)' should name \(knob)")
            }
        }
    }
}
