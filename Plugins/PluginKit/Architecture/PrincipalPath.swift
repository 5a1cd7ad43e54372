import PluginProtocol

/// The closed-form linear path every bundled family puts beside its network:
/// the principal components of the training windows (fitted through `fit`),
/// with the family's network added as a gated correction that starts at zero.
/// A fresh model therefore starts as PCA — the best linear autoencoder of its
/// size — and training can only add what the network learns on top of it.
public enum PrincipalPath {
    public static let schema: ParameterSchema = [
        "linear_path": ParameterSpec(
            .boolean, default: .bool(true),
            description: "Start from PCA of the training windows (a fitted linear path); the network learns a correction to it.")
    ]

    /// Window -> interface: `pca(x) + gate ⊙ network(x)`, or the network alone without the path.
    public static func encoder(_ network: Sequential, _ c: ModelConfiguration) throws(RPCError) -> Sequential {
        guard enabled(c) else { return network }
        try check(window: c.inputSize, interface: c.outputSize, hint: "; set linear_path=false")
        return Sequential([
            ParallelSum(
                PrincipalProjection(windowSize: c.inputSize, rank: c.outputSize, name: "pca"),
                Sequential(network.layers + [Gate(size: c.outputSize, name: "correction")]))
        ])
    }

    /// Interface -> window: `pca⁻¹(z) + gate ⊙ network(z)`, or the network alone without the path.
    public static func decoder(_ network: Sequential, _ c: ModelConfiguration) throws(RPCError) -> Sequential {
        guard enabled(c) else { return network }
        try check(window: c.outputSize, interface: c.inputSize, hint: "; set linear_path=false")
        return Sequential([
            ParallelSum(
                PrincipalReconstruction(rank: c.inputSize, windowSize: c.outputSize, name: "pca"),
                Sequential(network.layers + [Gate(size: c.outputSize, name: "correction")]))
        ])
    }

    static func enabled(_ c: ModelConfiguration) -> Bool { c.parameters["linear_path"]?.boolValue ?? false }

    /// Refuses shapes a principal basis cannot have: an interface above the window, a window too large to fit.
    public static func check(window: Int, interface: Int, hint: String = "") throws(RPCError) {
        guard interface <= window else {
            throw .invalidParams(
                "a principal basis needs an interface (\(interface)) no larger than the window (\(window))\(hint)")
        }
        guard window <= FitParams.maxWindow else {
            throw .invalidParams("a principal basis needs a window of at most \(FitParams.maxWindow)\(hint)")
        }
    }
}
