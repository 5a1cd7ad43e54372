import FeatureExtractorSupport

/// Schemas of the methods that set a plugin up and take it down:
/// `initialize`, `configure`, `debug_info`, `shutdown` and the `log` notification.

/// `initialize` params: the coordinator's protocol version and what it offers.
public struct InitializeParams: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// The role the coordinator will use the plugin in; a plugin of the other role refuses.
    public var role: PluginRole
    /// Tensor transports the coordinator accepts, preferred first. Names a peer
    /// does not know are skipped, so new transports can be offered to old plugins.
    public var transports: [String]
    /// Where the memory of the `shared_memory` transport is, when that transport is offered.
    public var sharedMemory: SharedMemoryOffer?

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol_version", role, transports, sharedMemory = "shared_memory"
    }

    public init(protocolVersion: Int = PluginProtocolVersion.current, role: PluginRole, transports: [TensorTransport]) {
        self.protocolVersion = protocolVersion
        self.role = role
        self.transports = transports.map(\.rawValue)
    }
}

/// The region a `shared_memory` offer comes with: an inherited descriptor of four slots.
public struct SharedMemoryOffer: Codable, Sendable, Equatable {
    public var descriptor: Int
    public var slotBytes: Int

    enum CodingKeys: String, CodingKey { case descriptor = "fd", slotBytes = "slot_bytes" }

    public init(descriptor: Int32, slotBytes: Int) {
        self.descriptor = Int(descriptor)
        self.slotBytes = slotBytes
    }
}

/// `initialize` result: who the plugin is and what it accepts.
public struct InitializeResult: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var role: PluginRole
    /// Protocol versions the plugin speaks.
    public var `protocol`: ProtocolRange
    /// The transport chosen from the offer; used by both sides from the next message on.
    public var transport: TensorTransport
    public var parameters: ParameterSchema
    /// Names of the variables `debug_info` reports.
    public var debugVariables: [String]
    /// Optional methods the plugin implements (`PluginCapability`); absent for plugins that predate them.
    public var capabilities: [String]?

    enum CodingKeys: String, CodingKey {
        case name, version, role, `protocol`, transport, parameters
        case debugVariables = "debug_variables", capabilities
    }

    public init(
        name: String, version: String, role: PluginRole, protocol: ProtocolRange, transport: TensorTransport,
        parameters: ParameterSchema, debugVariables: [String], capabilities: [String]? = nil
    ) {
        self.name = name
        self.version = version
        self.role = role
        self.protocol = `protocol`
        self.transport = transport
        self.parameters = parameters
        self.debugVariables = debugVariables
        self.capabilities = capabilities
    }

    /// Whether the plugin declared `capability` (names it does not declare are never used with it).
    public func supports(_ capability: String) -> Bool { capabilities?.contains(capability) ?? false }

    /// The limits a coordinator applies to what a plugin says about itself.
    public func validate() throws(RPCError) {
        guard PluginName.isValid(name) else { throw .invalidParams("name '\(name.prefix(64))' is not a valid plugin name") }
        guard SemanticVersion(version) != nil else {
            throw .invalidParams("version '\(version.prefix(32))' is not MAJOR.MINOR.PATCH")
        }
        guard `protocol`.isValid else { throw .invalidParams("protocol range \(`protocol`) is empty") }
        guard parameters.count <= 256, debugVariables.count <= 256 else {
            throw .invalidParams("too many parameters or debug variables")
        }
        for (key, spec) in parameters {
            guard PluginName.isValidKey(key) else {
                throw .invalidParams("parameter name '\(key.prefix(64))' is not [a-z][a-z0-9_]{0,63}")
            }
            guard spec.description.utf8.count <= 1024 else { throw .invalidParams("parameter '\(key)': description too long") }
            try spec.check(spec.defaultValue, name: key)
        }
        for key in debugVariables where !PluginName.isValidKey(key) {
            throw .invalidParams("debug variable '\(key.prefix(64))' is not [a-z][a-z0-9_]{0,63}")
        }
        // Unknown capability names are allowed (newer plugins), but bounded like every other list.
        if let capabilities {
            guard capabilities.count <= 32 else { throw .invalidParams("too many capabilities (\(capabilities.count))") }
            for name in capabilities where !PluginName.isValidKey(name) {
                throw .invalidParams("capability '\(name.prefix(64))' is not [a-z][a-z0-9_]{0,63}")
            }
        }
    }
}

/// `configure` params: the shapes to build for, the seed, the plugin's own parameters.
public struct ConfigureParams: Codable, Sendable, Equatable {
    /// Shape of one input sample (without the batch dimension), e.g. `[128]`.
    public var inputShape: [Int]
    /// Shape of one output sample, e.g. `[32]`.
    public var outputShape: [Int]
    /// Seeds every random choice the plugin makes (initial weights, shuffles, dropout).
    public var seed: UInt64
    /// Values for the parameters declared in `initialize`; absent ones take their defaults.
    public var parameters: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case inputShape = "input_shape", outputShape = "output_shape", seed, parameters
    }

    public init(inputShape: [Int], outputShape: [Int], seed: UInt64, parameters: [String: JSONValue]) {
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.seed = seed
        self.parameters = parameters
    }

    public func validate() throws(RPCError) {
        for (name, shape) in [("input_shape", inputShape), ("output_shape", outputShape)] {
            guard !shape.isEmpty, shape.count < Tensor.maxRank, shape.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }),
                let n = Tensor.elementCount(shape), n <= 1 << 24
            else {
                throw .invalidParams("\(name) \(shape) must have 1...\(Tensor.maxRank - 1) positive dimensions")
            }
        }
        guard seed <= 1 << 53 else { throw .invalidParams("seed must be at most 2^53") }
    }
}

/// `configure` result.
public struct ConfigureResult: Codable, Sendable, Equatable {
    /// Trainable scalars in the model.
    public var parameterCount: Int
    /// Every parameter's effective value (given or default).
    public var parameters: [String: JSONValue]

    enum CodingKeys: String, CodingKey { case parameterCount = "parameter_count", parameters }

    public init(parameterCount: Int, parameters: [String: JSONValue]) {
        self.parameterCount = parameterCount
        self.parameters = parameters
    }
}

/// `debug_info` result: the values of the declared debug variables.
public struct DebugInfoResult: Codable, Sendable, Equatable {
    public var variables: [String: JSONValue]
    public init(variables: [String: JSONValue]) { self.variables = variables }
}

/// `log` notification params.
public struct LogParams: Codable, Sendable, Equatable {
    public enum Level: String, Codable, Sendable { case debug, info, warning, error }
    public var level: Level
    public var message: String
    public init(level: Level, message: String) {
        self.level = level
        self.message = message
    }
}
