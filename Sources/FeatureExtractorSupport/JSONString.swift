/// JSON string literals, written the one way every file, frame and hash input of ours uses:
/// quote and backslash escaped, the five short escapes (`\n \r \t \b \f`) for those controls,
/// `\u00XX` for the other control characters, everything else as it is (UTF-8).
///
/// The audit chain hashes text built with this, so its output must never change.
public enum JSONString {
    public static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
