import FeatureExtractorSupport

/// Name rules shared by the host and the SDK.
public enum PluginName {
    /// `^[a-z][a-z0-9_-]{0,63}$`: safe as a directory name, never a path.
    public static func isValid(_ name: String) -> Bool {
        Identifier.isValid(name, punctuation: "_-")
    }

    /// `^[a-z][a-z0-9_]{0,63}$`: parameter and debug-variable names.
    public static func isValidKey(_ key: String) -> Bool {
        Identifier.isValid(key, punctuation: "_")
    }
}

/// `MAJOR.MINOR.PATCH`, compared numerically.
public struct SemanticVersion: Comparable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, text.utf8.count <= 32 else { return nil }
        let numbers = parts.compactMap { p -> Int? in p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) ? Int(p) : nil }
        guard numbers.count == 3 else { return nil }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
