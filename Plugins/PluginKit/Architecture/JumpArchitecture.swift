import PluginProtocol

/// The `jumps` family's one knob, shared by its encoder and decoder so both split
/// the interface the same way.
public enum JumpArchitecture {
    public static let schema: ParameterSchema = [
        "jump_share": ParameterSpec(
            .number, default: .number(0.375), minimum: 0, maximum: 0.95,
            description:
                "Share of the interface spent on (position, size) pairs of jumps; the rest are principal components (0: plain PCA)."
        )
    ]

    /// Jumps for this interface; the shapes checked as for any principal basis.
    public static func jumps(_ c: ModelConfiguration, window: Int, interface: Int) throws(RPCError) -> Int {
        try PrincipalPath.check(window: window, interface: interface)
        guard window >= 2 else { throw .invalidParams("jumps needs a window of at least 2 steps") }
        return JumpDictionary.jumps(interface: interface, share: c.number("jump_share") ?? 0.375)
    }
}
