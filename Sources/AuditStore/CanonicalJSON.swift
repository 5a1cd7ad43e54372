/// The one JSON text of a `[String: String]`: keys sorted by their UTF-8 bytes, no spaces,
/// only the escapes JSON requires (`\"`, `\\`, and control characters as `\n`, `\t`, ...
/// or `\u00XX`).
///
/// The audit log stores this text and hashes it, so it must not depend on the platform's
/// `JSONEncoder` (whose key order and escaping have differed between Foundation versions).
/// Any JSON parser reads it back.
enum CanonicalJSON {
    static func encode(_ object: [String: String]) -> String {
        let pairs = object.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var text = "{"
        for (index, pair) in pairs.enumerated() {
            if index > 0 { text += "," }
            text += quoted(pair.key) + ":" + quoted(pair.value)
        }
        return text + "}"
    }

    static func encode(_ array: [String]) -> String {
        "[" + array.map(quoted).joined(separator: ",") + "]"
    }

    private static func quoted(_ string: String) -> String {
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
