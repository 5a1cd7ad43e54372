/// A `MAJOR.MINOR.PATCH` version, compared numerically (so 1.10.0 > 1.9.0), for the
/// anti-rollback check on plugin manifests.
struct PluginVersionNumber: Comparable, CustomStringConvertible {
    var major: UInt64
    var minor: UInt64
    var patch: UInt64

    /// Parses exactly three dot-separated decimal numbers (no sign, no suffix, at most 18 digits each).
    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard (1...18).contains(part.utf8.count), part.utf8.allSatisfy({ (48...57).contains($0) }),
                  let number = UInt64(part) else { return nil }
            numbers.append(number)
        }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
    }

    static func < (a: PluginVersionNumber, b: PluginVersionNumber) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    var description: String { "\(major).\(minor).\(patch)" }
}
