import PluginProtocol

/// The state machine behind `PluginServer`: one plugin's life from
/// `initialize` to `shutdown`. Kept apart from the I/O so that the coordinator's unit tests
/// can drive it in-process (`package`: visible to this package's tests, not to plugin authors).
package final class PluginSession<Plugin: NeuralNetworkPlugin> {
    private(set) var codec = MessageCodec(transport: .base64)
    package private(set) var finished = false
    private var initialized = false
    private var configuration: ModelConfiguration?
    private var model: Sequential?
    private var optimizer: Adam?
    /// Set by a training forward (and its batch size kept): backward needs one first.
    private var haveTrainingForward = false
    private var batchOfLastForward = 0
    /// A step asked for in `backward`, applied after its answer is written (`finishDeferredWork`),
    /// and in any case before the next request is handled; so are the parameter gradients of a
    /// backward that answered an input gradient.
    private var stepAfterReply = false

    package init() {}

    /// Handles one frame; returns the reply frame, or nil for a notification.
    package func handle(_ frame: Frame) -> Frame? {
        finishDeferredWork()
        // The training methods in their plain form skip Codable (the transport was agreed, so
        // `initialize` has been answered); anything else is read in full below.
        if let request = codec.decodeHotPathRequest(frame) {
            do {
                switch request {
                case .forward(let id, let p): return try reply(id, forward(p))
                case .backward(let id, let p): return try reply(id, backward(p))
                case .step(let id): return try reply(id, step())
                }
            } catch let error as RPCError {
                return encodeError(id: request.id, error)
            } catch {
                return encodeError(id: request.id, RPCError(code: RPCErrorCode.internalError, message: "\(error)"))
            }
        }
        let head: RPCHead
        do {
            head = try codec.decodeHead(frame)
        } catch {
            return encodeError(id: nil, error)
        }
        guard let method = head.method else {
            return encodeError(id: head.id, .init(code: RPCErrorCode.invalidRequest, message: "plugins accept requests only"))
        }
        guard let id = head.id else { return nil }  // notifications from the host: none defined in v1
        do {
            return try dispatch(method, id: id, frame: frame)
        } catch let error as RPCError {
            return encodeError(id: id, error)
        } catch {
            return encodeError(id: id, RPCError(code: RPCErrorCode.internalError, message: "\(error)"))
        }
    }

    private func dispatch(_ method: String, id: RPCID, frame: Frame) throws -> Frame {
        if method != MethodName.initialize && !initialized {
            throw RPCError.wrongState("'\(method)' before initialize")
        }
        switch method {
        case MethodName.initialize:
            let p = try codec.decode(RPCRequest<InitializeParams>.self, from: frame).params
            return try reply(id, initialize(p))
        case MethodName.configure:
            let p = try codec.decode(RPCRequest<ConfigureParams>.self, from: frame).params
            return try reply(id, configure(p))
        case MethodName.forward:
            let p = try codec.decode(RPCRequest<ForwardParams>.self, from: frame).params
            return try reply(id, forward(p))
        case MethodName.backward:
            let p = try codec.decode(RPCRequest<BackwardParams>.self, from: frame).params
            return try reply(id, backward(p))
        case MethodName.step:
            _ = try codec.decode(RPCRequest<Empty>.self, from: frame)
            return try reply(id, step())
        case MethodName.exportState:
            _ = try codec.decode(RPCRequest<Empty>.self, from: frame)
            let (model, _) = try configured()
            var tensors: [String: Tensor] = [:]
            for p in model.weights {
                tensors[p.name] = Tensor(rows: p.value.rows, cols: p.value.cols, values: p.value.values)
            }
            return try reply(id, ModelState(tensors: tensors))
        case MethodName.importState:
            let state = try codec.decode(RPCRequest<ModelState>.self, from: frame).params
            try importState(state)
            return try reply(id, Empty())
        case MethodName.fit:
            let p = try codec.decode(RPCRequest<FitParams>.self, from: frame).params
            let (model, _) = try configured()
            let c = configuration!
            // The statistics are of the window: an encoder's input, a decoder's output.
            try p.validate(windowSize: Plugin.role == .encoder ? c.inputSize : c.outputSize)
            try model.fit(TrainingStatistics(p))
            model.zeroGradients()
            haveTrainingForward = false
            return try reply(id, Empty())
        case MethodName.debugInfo:
            _ = try codec.decode(RPCRequest<Empty>.self, from: frame)
            return try reply(id, DebugInfoResult(variables: debugVariables()))
        case MethodName.shutdown:
            finished = true
            return try reply(id, Empty())
        default:
            throw RPCError(code: RPCErrorCode.methodNotFound, message: "no method '\(method.prefix(64))'")
        }
    }

    private func initialize(_ p: InitializeParams) throws(RPCError) -> InitializeResult {
        guard !initialized else { throw .wrongState("initialize sent twice") }
        let range = ProtocolRange.current
        guard range.contains(p.protocolVersion) else {
            throw .invalidParams("protocol version \(p.protocolVersion) not supported (this plugin speaks \(range))")
        }
        guard p.role == Plugin.role else { throw .invalidParams("this plugin is a \(Plugin.role), not a \(p.role)") }
        // The first offered transport this plugin can use: shared memory only if the region maps.
        var shared: SharedTensorRegion?
        let offered = p.transports.compactMap(TensorTransport.init(rawValue:)).filter { transport in
            guard transport == .sharedMemory else { return true }
            if shared == nil, let offer = p.sharedMemory, let fd = Int32(exactly: offer.descriptor) {
                shared = try? SharedTensorRegion.map(descriptor: fd, slotBytes: offer.slotBytes)
            }
            return shared != nil
        }
        guard let transport = offered.first else { throw .invalidParams("no known tensor transport offered (\(p.transports))") }
        initialized = true
        // The reply itself has no tensors, so the new codec starts with the next message.
        defer {
            if transport == .sharedMemory, let shared {
                codec = MessageCodec(sharedMemory: shared, side: .plugin)
            } else {
                codec = MessageCodec(transport: transport)
            }
        }
        return InitializeResult(
            name: Plugin.name, version: Plugin.version, role: Plugin.role, protocol: range,
            transport: transport, parameters: Plugin.parameters, debugVariables: Plugin.debugVariables,
            capabilities: [PluginCapability.fit, PluginCapability.stepInBackward, PluginCapability.rowStride])
    }

    private func configure(_ p: ConfigureParams) throws(RPCError) -> ConfigureResult {
        try p.validate()
        let values = try Plugin.parameters.resolve(p.parameters)
        let configuration = ModelConfiguration(
            inputShape: p.inputShape, outputShape: p.outputShape, seed: p.seed, parameters: values)
        var rng = SeededGenerator(seed: p.seed)
        let model = try Plugin.build(configuration, rng: &rng)
        self.configuration = configuration
        self.model = model
        self.optimizer = Plugin.optimizer(configuration)
        haveTrainingForward = false
        return ConfigureResult(parameterCount: model.weightCount, parameters: values)
    }

    private func forward(_ p: ForwardParams) throws -> ForwardResult {
        let (model, _) = try configured()
        let c = configuration!
        let input = p.input
        guard input.shape.count == c.inputShape.count + 1, Array(input.shape.dropFirst()) == c.inputShape, input.shape[0] >= 1
        else {
            throw RPCError.invalidParams("input shape \(input.shape) is not [batch] + \(c.inputShape)")
        }
        let batch = input.shape[0]
        let output = model.forward(Matrix(rows: batch, cols: c.inputSize, values: input.values), training: p.training)
        guard !Tensor.hasNonFinite(output.values) else {
            throw RPCError(code: RPCErrorCode.numericalError, message: "forward produced NaN or infinity")
        }
        // An inference forward changes nothing: backward still refers to the last training forward.
        if p.training {
            haveTrainingForward = true
            batchOfLastForward = batch
        }
        return ForwardResult(output: Tensor(shape: [batch] + c.outputShape, values: output.values))
    }

    private func step() throws(RPCError) -> StepResult {
        let (model, optimizer) = try configured()
        optimizer.step(model.weights)
        return StepResult(steps: optimizer.stepCount)
    }

    /// Work an answer did not have to wait for: the server calls it after writing each answer.
    package func finishDeferredWork() {
        guard let model else { return }
        model.addDeferredParameterGradients()
        guard stepAfterReply, let optimizer else { return }
        stepAfterReply = false
        optimizer.step(model.weights)
    }

    private func backward(_ p: BackwardParams) throws -> BackwardResult {
        let (model, optimizer) = try configured()
        let c = configuration!
        guard haveTrainingForward else { throw RPCError.wrongState("backward needs a training forward first") }
        let expected = [batchOfLastForward] + c.outputShape
        guard p.gradOutput.shape == expected else {
            throw RPCError.invalidParams("grad_output shape \(p.gradOutput.shape) is not \(expected)")
        }
        let gradOutput = Matrix(rows: batchOfLastForward, cols: c.outputSize, values: p.gradOutput.values)
        // The peer waits for the input gradient only: the parameter gradients are added after the answer.
        let grad =
            p.needInputGradient
            ? model.backwardDeferringParameterGradients(gradOutput)
            : model.backward(gradOutput, needInputGradient: false)
        // The input gradient is already computed, so the step cannot change it: it is applied once
        // the answer is on its way, while the coordinator and the other plugin work on it.
        if p.step == true { stepAfterReply = true }
        guard let grad, p.needInputGradient else { return BackwardResult(gradInput: nil) }
        guard !Tensor.hasNonFinite(grad.values) else {
            throw RPCError(code: RPCErrorCode.numericalError, message: "backward produced NaN or infinity")
        }
        return BackwardResult(gradInput: Tensor(shape: [batchOfLastForward] + c.inputShape, values: grad.values))
    }

    private func importState(_ state: ModelState) throws {
        try state.validate()
        let (model, _) = try configured()
        let params = model.weights
        let expected = Set(params.map(\.name))
        let given = Set(state.tensors.keys)
        guard expected == given else {
            let missing = expected.subtracting(given).sorted().prefix(5), extra = given.subtracting(expected).sorted().prefix(5)
            throw RPCError(
                code: RPCErrorCode.stateMismatch,
                message:
                    "state does not fit this model (missing: \(missing.joined(separator: ", ")); unexpected: \(extra.joined(separator: ", ")))"
            )
        }
        for p in params {
            let t = state.tensors[p.name]!
            guard t.shape == [p.value.rows, p.value.cols] else {
                throw RPCError(
                    code: RPCErrorCode.stateMismatch,
                    message: "tensor '\(p.name)' has shape \(t.shape), the model needs [\(p.value.rows), \(p.value.cols)]")
            }
        }
        // Only after every tensor fitted: a failed import leaves the model as it was.
        for p in params { p.value = Matrix(rows: p.value.rows, cols: p.value.cols, values: state.tensors[p.name]!.values) }
        model.zeroGradients()
        haveTrainingForward = false
    }

    private func debugVariables() -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        let c = configuration
        for name in Plugin.debugVariables {
            switch name {
            case "input_shape": out[name] = c.map { .array($0.inputShape.map { .number(Double($0)) }) } ?? .null
            case "output_shape": out[name] = c.map { .array($0.outputShape.map { .number(Double($0)) }) } ?? .null
            case "parameter_count": out[name] = model.map { .number(Double($0.weightCount)) } ?? .null
            case "steps": out[name] = .number(Double(optimizer?.stepCount ?? 0))
            case "layer_sizes":
                out[name] =
                    model.map { m in .array(m.layers.compactMap { ($0 as? Dense).map { .number(Double($0.outputSize)) } }) }
                    ?? .null
            default: out[name] = c?.parameters[name] ?? Plugin.parameters[name]?.defaultValue ?? .null
            }
        }
        return out
    }

    private func configured() throws(RPCError) -> (Sequential, Adam) {
        guard let model, let optimizer else { throw .wrongState("not configured yet") }
        return (model, optimizer)
    }

    private func reply<R: Codable & Sendable>(_ id: RPCID, _ result: R) throws -> Frame {
        try codec.encodeResult(id: id, result: result)
    }

    private func encodeError(id: RPCID?, _ error: RPCError) -> Frame {
        // Encoding a plain error object cannot fail; fall back to a fixed text anyway.
        (try? codec.encode(RPCErrorResponse(id: id, error: error)))
            ?? Frame(json: Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8))
    }
}
