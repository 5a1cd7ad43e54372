/// Schemas of the methods that run and train the model:
/// `forward`, `backward`, `step`, `export_state`, `import_state`.

/// `forward` params.
public struct ForwardParams: Codable, Sendable, Equatable {
    /// `[batch] + input_shape`.
    public var input: Tensor
    /// When true the plugin keeps what `backward` needs and applies training-only
    /// behaviour (dropout); when false it must not change any state.
    public var training: Bool

    enum CodingKeys: String, CodingKey { case input, training }

    public init(input: Tensor, training: Bool) {
        self.input = input
        self.training = training
    }

    /// An input with `row_stride` (`StridedRows`) is read here and expanded: a plugin sees dense rows only.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.input) else {  // superDecoder would read a missing member as null
            throw DecodingError.keyNotFound(CodingKeys.input, .init(codingPath: c.codingPath, debugDescription: "missing"))
        }
        input = try StridedRows(from: c.superDecoder(forKey: .input)).dense()
        training = try c.decode(Bool.self, forKey: .training)
    }
}

/// `forward` result: `[batch] + output_shape`, finite values only.
public struct ForwardResult: Codable, Sendable, Equatable {
    public var output: Tensor
    public init(output: Tensor) { self.output = output }
}

/// `backward` params: the loss gradient with respect to the last training
/// `forward`'s output. The plugin ADDS the parameter gradients to its
/// accumulators; `step` applies and clears them.
public struct BackwardParams: Codable, Sendable, Equatable {
    public var gradOutput: Tensor
    /// Whether the gradient with respect to the input is wanted (a decoder's is; an encoder's is not).
    public var needInputGradient: Bool
    /// Apply one optimiser step after the backward pass, as `step` would; sent only to plugins
    /// that declare `PluginCapability.stepInBackward` (absent means false).
    public var step: Bool?

    enum CodingKeys: String, CodingKey { case gradOutput = "grad_output", needInputGradient = "need_input_grad", step }

    public init(gradOutput: Tensor, needInputGradient: Bool, step: Bool? = nil) {
        self.gradOutput = gradOutput
        self.needInputGradient = needInputGradient
        self.step = step
    }
}

/// `backward` result.
public struct BackwardResult: Codable, Sendable, Equatable {
    /// `[batch] + input_shape` when asked for, else absent.
    public var gradInput: Tensor?

    enum CodingKeys: String, CodingKey { case gradInput = "grad_input" }

    public init(gradInput: Tensor?) { self.gradInput = gradInput }
}

/// `step` result: one optimiser update applied.
public struct StepResult: Codable, Sendable, Equatable {
    /// Updates applied since `configure`.
    public var steps: Int
    public init(steps: Int) { self.steps = steps }
}

/// `export_state` result and `import_state` params: every trainable tensor by name.
/// Optimiser moments are not included: a loaded model is for inference or fresh fine-tuning.
public struct ModelState: Codable, Sendable, Equatable {
    public var tensors: [String: Tensor]

    public init(tensors: [String: Tensor]) { self.tensors = tensors }

    public func validate() throws(RPCError) {
        guard tensors.count <= 4096 else { throw .invalidParams("too many tensors (\(tensors.count))") }
        for name in tensors.keys where name.isEmpty || name.utf8.count > 128 || name.hasPrefix("__") {
            throw .invalidParams("tensor name '\(name.prefix(64))' must be 1...128 bytes and not start with __")
        }
    }
}
