import PluginProtocol

/// What a plugin author writes: who the plugin is, its parameters, and how to
/// build its network. `PluginServer` does everything else (protocol, validation,
/// training steps, state export and import, debug info).
///
/// ```swift
/// enum MyEncoder: NeuralNetworkPlugin {
///     // From plugin.json, through the ManifestIdentity build plugin (examples/swift-plugin).
///     static let name = ManifestIdentity.name, version = ManifestIdentity.version, role = ManifestIdentity.role
///     static let parameters: ParameterSchema = ["learning_rate": ParameterSpec(.number, default: .number(1e-3), minimum: 0, description: "Adam step size")]
///     static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
///         Sequential([Dense(inputSize: c.inputSize, outputSize: c.outputSize, activation: .linear, name: "out", rng: &rng)])
///     }
/// }
/// PluginServer.serve(MyEncoder.self)
/// ```
public protocol NeuralNetworkPlugin {
    /// Must match the manifest: take it from `ManifestIdentity`, generated from plugin.json.
    static var name: String { get }
    /// `MAJOR.MINOR.PATCH`; must match the manifest (`ManifestIdentity.version`).
    static var version: String { get }
    static var role: PluginRole { get }
    static var parameters: ParameterSchema { get }
    /// Names reported by `debug_info`: any parameter name, or one of
    /// `ModelConfiguration.standardDebugVariables`.
    static var debugVariables: [String] { get }
    /// Builds the network for the configured shapes; throw `RPCError.invalidParams`
    /// for a combination of parameters that cannot work.
    static func build(_ configuration: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential
    /// The optimiser; by default Adam with the `learning_rate`, `learning_rate_decay` and `l2_reg` parameters if declared.
    static func optimizer(_ configuration: ModelConfiguration) -> Adam
}

extension NeuralNetworkPlugin {
    public static var debugVariables: [String] { ModelConfiguration.standardDebugVariables }

    public static func optimizer(_ configuration: ModelConfiguration) -> Adam {
        let adam = Adam(
            learningRate: Float(configuration.number("learning_rate") ?? 1e-3),
            l2: Float(configuration.number("l2_reg") ?? 0))
        adam.decay = Float(configuration.number("learning_rate_decay") ?? 0)
        return adam
    }
}

/// The shapes, seed and effective parameter values a plugin is configured with.
public struct ModelConfiguration: Sendable {
    public var inputShape: [Int]
    public var outputShape: [Int]
    public var seed: UInt64
    /// Every declared parameter, defaults filled in and checked against its spec.
    public var parameters: [String: JSONValue]

    /// Scalars in one input sample (the product of `inputShape`).
    public var inputSize: Int { inputShape.reduce(1, *) }
    /// Scalars in one output sample.
    public var outputSize: Int { outputShape.reduce(1, *) }

    public func number(_ name: String) -> Double? { parameters[name]?.doubleValue }
    public func integer(_ name: String) -> Int? { parameters[name]?.intValue }
    public func string(_ name: String) -> String? { parameters[name]?.stringValue }

    /// Debug variables every plugin can report without code of its own.
    public static let standardDebugVariables = ["input_shape", "output_shape", "parameter_count", "layer_sizes", "steps"]
}
