/// Text from outside (a plugin's messages and names, a file's keys and values, a server's
/// answers) made safe to show on a terminal or in a log: one rule for every place it is shown.
///
/// Control characters (C0, DEL, C1) would let the text move the cursor, recolour or retitle
/// the terminal, or forge log lines; bidirectional overrides would make it read differently
/// from what it is. All of them are shown as visible escapes, and the length is capped.
public enum DisplayText {
    /// `text` on one line, escaped, cut after `limit` characters with "…".
    public static func escaped<S: StringProtocol>(_ text: S, limit: Int) -> String {
        var out = ""
        append(text, limit: limit, quoting: false, to: &out)
        return out
    }

    /// `text` between double quotes, escaped as `escaped` does plus `"` and `\`: a value inside a message.
    public static func quoted<S: StringProtocol>(_ text: S, limit: Int = 40) -> String {
        var out = "\""
        append(text, limit: limit, quoting: true, to: &out)
        return out + "\""
    }

    /// Several lines (a warning, an error with its context), each line escaped and capped; the
    /// line breaks themselves are kept.
    public static func lines<S: StringProtocol>(_ text: S, limitPerLine: Int = 2_000) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escaped($0, limit: limitPerLine) }
            .joined(separator: "\n")
    }

    private static func append<S: StringProtocol>(_ text: S, limit: Int, quoting: Bool, to out: inout String) {
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "…"
                return
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"" where quoting: out += "\\\""
            case "\\" where quoting: out += "\\\\"
            default:
                let v = scalar.value
                if v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || (0x202A...0x202E).contains(v)
                    || (0x2066...0x2069).contains(v)
                {
                    out += "\\u{\(String(v, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            count += 1
        }
    }
}
