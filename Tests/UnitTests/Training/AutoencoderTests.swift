import Coordinator
import PluginHost
import PluginProtocol
import XCTest

/// The autoencoder's message choreography and its checks on plugin answers, against
/// PluginKit's real session in-process.
final class AutoencoderTests: XCTestCase {
    private func model(window: Int = 8, interface: Int = 2) throws
        -> (Autoencoder, InProcessPlugin<LinearTestEncoder>, InProcessPlugin<LinearTestDecoder>)
    {
        let encoder = try InProcessPlugin<LinearTestEncoder>(), decoder = try InProcessPlugin<LinearTestDecoder>()
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        try model.configure(windowSize: window, interfaceSize: interface, seed: 7, encoderParameters: [:], decoderParameters: [:])
        return (model, encoder, decoder)
    }

    private func batch(rows: Int, window: Int = 8) -> Tensor {
        Tensor(rows: rows, cols: window, values: (0..<(rows * window)).map { Float(sin(Double($0) * 0.37)) })
    }

    /// Per batch, with plugins that step inside `backward`: both forwards, the decoder's
    /// backward (which steps), then the encoder's backward (which steps), collected before the
    /// encoder's next request: four requests, no `step`.
    func testOneBatchSendsFourRequestsToPluginsThatStepInBackward() throws {
        let (model, encoder, decoder) = try model()
        _ = try model.trainStep(batch(rows: 4))
        XCTAssertEqual(encoder.sent.suffix(2), [MethodName.forward, MethodName.backward])
        XCTAssertEqual(decoder.sent.suffix(2), [MethodName.forward, MethodName.backward])
        _ = try model.trainStep(batch(rows: 4))
        try model.settle()
        XCTAssertFalse((encoder.sent + decoder.sent).contains(MethodName.step))
    }

    /// A plugin that predates `step_in_backward` gets `step` after `backward`, pipelined: the
    /// step is collected before that plugin's next forward.
    func testPluginsWithoutTheCapabilityGetSeparateSteps() throws {
        let encoder = try InProcessPlugin<LinearTestEncoder>(capabilities: [])
        let decoder = try InProcessPlugin<LinearTestDecoder>(capabilities: [])
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        try model.configure(windowSize: 8, interfaceSize: 2, seed: 7, encoderParameters: [:], decoderParameters: [:])
        _ = try model.trainStep(batch(rows: 4))
        XCTAssertEqual(encoder.sent.suffix(3), [MethodName.forward, MethodName.backward, MethodName.step])
        XCTAssertEqual(decoder.sent.suffix(3), [MethodName.forward, MethodName.backward, MethodName.step])
    }

    /// Stepping inside `backward` is the same arithmetic as `backward` then `step`.
    func testSteppingInBackwardTrainsTheSameWeights() throws {
        let (fused, _, _) = try model()
        let old = Autoencoder(
            encoder: try InProcessPlugin<LinearTestEncoder>(capabilities: []),
            decoder: try InProcessPlugin<LinearTestDecoder>(capabilities: []))
        try old.configure(windowSize: 8, interfaceSize: 2, seed: 7, encoderParameters: [:], decoderParameters: [:])
        for rows in [4, 6, 5] {
            XCTAssertEqual(try fused.trainStep(batch(rows: rows)), try old.trainStep(batch(rows: rows)))
        }
        let (a, b) = (try fused.exportState(), try old.exportState())
        XCTAssertEqual(a.encoder, b.encoder)
        XCTAssertEqual(a.decoder, b.decoder)
        XCTAssertNotEqual(a.encoder, try model().0.exportState().encoder, "training changed nothing")
    }

    func testTheLossIsTheMeanSquaredErrorOfTheReconstruction() throws {
        let (model, _, _) = try model()
        let input = batch(rows: 5)
        let reconstruction = try model.decode(try model.encode(input))
        let expected = zip(reconstruction.values, input.values).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / 40
        let loss = try model.trainStep(input)  // the loss is measured before the step changes the weights
        XCTAssertEqual(loss, expected, accuracy: expected * 1e-5)
    }

    func testFitReachesPluginsThatDeclareTheCapability() throws {
        let (model, encoder, decoder) = try model()
        XCTAssertTrue(encoder.info?.supports(PluginCapability.fit) ?? false)
        let w = 8
        let identity: [Float] = (0..<(w * w)).map { $0 % (w + 1) == 0 ? 1 : 0 }
        try model.fit(
            FitParams(
                count: 10, mean: Tensor(shape: [w], values: [Float](repeating: 0, count: w)),
                covariance: Tensor(shape: [w, w], values: identity)))
        XCTAssertEqual(encoder.sent.last, MethodName.fit)
        XCTAssertEqual(decoder.sent.last, MethodName.fit)
    }

    /// A plugin that answers with the wrong shape is stopped and named; nothing else is asked of it.
    func testAWrongShapeIsAProtocolViolationThatStopsThePlugin() throws {
        let encoder = try InProcessPlugin<LinearTestEncoder>(), decoder = try InProcessPlugin<LinearTestDecoder>()
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        // The decoder is configured for 3 features while the model expects 2: its input is refused by PluginKit,
        // so configure the decoder's output wrongly instead (window 9 where the model says 8).
        try model.configure(windowSize: 8, interfaceSize: 2, seed: 1, encoderParameters: [:], decoderParameters: [:])
        _ = try decoder.call(
            MethodName.configure, ConfigureParams(inputShape: [2], outputShape: [9], seed: 1, parameters: [:]),
            as: ConfigureResult.self)
        XCTAssertThrowsError(try model.trainStep(batch(rows: 4))) { error in
            guard case .protocolViolation(let plugin, let method, let reason)? = error as? PluginError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(plugin, "decoder 'linear-test'")
            XCTAssertEqual(method, MethodName.forward)
            XCTAssertTrue(reason.contains("[4, 9]") && reason.contains("[4, 8]"), reason)
        }
        XCTAssertNotNil(decoder.failure)
        XCTAssertThrowsError(try model.decode(Tensor(rows: 1, cols: 2, values: [0, 0])))
    }

    /// Export, change, import: the models come back bit for bit.
    func testStateRoundTrips() throws {
        let (model, _, _) = try model()
        let input = batch(rows: 6)
        let saved = try model.exportState()
        let before = try model.decode(try model.encode(input)).values
        for _ in 0..<5 { _ = try model.trainStep(input) }
        XCTAssertNotEqual(try model.decode(try model.encode(input)).values, before, "training changed nothing")
        try model.importState(encoder: saved.encoder, decoder: saved.decoder)
        XCTAssertEqual(try model.decode(try model.encode(input)).values, before)
    }

    /// Exported state is checked before a checkpoint or a model file is made of it: too many
    /// tensors, an empty name, a reserved `__` name (safetensors' `__metadata__`) or an
    /// overlong one are the exporting plugin's protocol violation, naming it.
    func testExportedStateBreakingTheProtocolIsRefusedNamingThePlugin() throws {
        let value = Tensor(rows: 1, cols: 1, values: [0])
        let forged: [[String: Tensor]] = [
            Dictionary(uniqueKeysWithValues: (0..<5000).map { ("t\($0)", value) }),
            ["": value], ["__metadata__": value], [String(repeating: "n", count: 129): value],
        ]
        for tensors in forged {
            let (model, _, decoder) = try model()
            decoder.forgedState = ModelState(tensors: tensors)
            XCTAssertThrowsError(try model.exportState()) { error in
                guard case .protocolViolation(let plugin, let during, let reason)? = error as? PluginError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(plugin, decoder.label)
                XCTAssertEqual(during, MethodName.exportState)
                XCTAssertTrue(reason.contains("state breaks the protocol"), reason)
            }
        }
    }
}
