/// Name rules shared by the host and the SDK.
public enum PluginName {
    /// `^[a-z][a-z0-9_-]{0,63}$`: safe as a directory name, never a path.
    public static func isValid(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard let first = u.first, u.count <= 64, (97...122).contains(first) else { return false }
        return u.dropFirst().allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
    }

    /// `^[a-z][a-z0-9_]{0,63}$`: parameter and debug-variable names.
    public static func isValidKey(_ key: String) -> Bool {
        isValid(key) && !key.utf8.contains(45)
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
