/// The one shape of every name we accept from outside (plugin names, parameter keys, user
/// names, remote config and model names): a lowercase ASCII letter, then up to 63 lowercase
/// letters, digits or the punctuation a kind of name allows. Such names are safe in paths,
/// shells, headers and log lines without quoting.
public enum Identifier {
    public static let maxLength = 64

    /// True when `name` has the shape above; `punctuation` lists the allowed non-alphanumeric
    /// characters (ASCII only, never '/').
    public static func isValid(_ name: String, punctuation: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maxLength, isLowercase(first) else { return false }
        let allowed = Set(punctuation.utf8)
        return bytes.dropFirst().allSatisfy { isLowercase($0) || isDigit($0) || allowed.contains($0) }
    }

    private static func isLowercase(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
