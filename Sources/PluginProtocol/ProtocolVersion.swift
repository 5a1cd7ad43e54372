/// The plugin protocol's version and the ranges peers declare.
///
/// A single integer: a breaking change bumps it, additions that old peers can
/// ignore do not. Peers agree when each one's range contains the other's choice.
public enum PluginProtocolVersion {
    /// The version this build speaks.
    public static let current = 1
}

/// An inclusive range of protocol versions a peer supports.
public struct ProtocolRange: Codable, Sendable, Equatable, CustomStringConvertible {
    public var min: Int
    public var max: Int

    public init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }

    public func contains(_ version: Int) -> Bool { version >= min && version <= max }

    public var isValid: Bool { min >= 1 && min <= max }

    public var description: String { min == max ? "\(min)" : "\(min)...\(max)" }

    /// Exactly the version this build speaks: what PluginKit's plugins declare.
    public static let current = ProtocolRange(min: PluginProtocolVersion.current, max: PluginProtocolVersion.current)
}
