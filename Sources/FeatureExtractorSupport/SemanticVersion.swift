/// `MAJOR.MINOR.PATCH`, compared numerically (1.10.0 > 1.9.0): plugin and protocol versions
/// in manifests, handshakes, model files and the store's anti-rollback record.
///
/// Exactly three dot-separated runs of 1 to 18 ASCII digits, at most 32 bytes in all: no
/// sign, no pre-release or build suffix, nothing that could overflow.
public struct SemanticVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init?(_ text: String) {
        guard text.utf8.count <= 32 else { return nil }
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard (1...18).contains(part.count), part.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return nil
            }
            numbers.append(part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
