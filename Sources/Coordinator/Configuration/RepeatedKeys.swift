import Foundation

/// A JSON object may repeat a key. Foundation's decoder keeps the first value; Python's, and
/// so the original tool, the last. This finds the top-level keys given more than once and
/// the text of their last value, so the loader can do as the original did, and say so.
enum RepeatedKeys {
    /// Repeated top-level keys and their last value's JSON text; empty for anything but an
    /// object (the caller has already parsed the text, so it is well-formed).
    static func lastValues(in bytes: [UInt8]) -> [String: ArraySlice<UInt8>] {
        var seen: [String: Int] = [:]
        var last: [String: ArraySlice<UInt8>] = [:]
        var i = skipSpace(bytes, 0)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return [:] }
        i += 1
        while true {
            i = skipSpace(bytes, i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { break }
            let keyEnd = endOfString(bytes, i)
            guard keyEnd <= bytes.count, let key = decodeKey(bytes[i..<keyEnd]) else { break }
            i = skipSpace(bytes, keyEnd)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { break }
            let start = skipSpace(bytes, i + 1)
            i = endOfValue(bytes, start)
            last[key] = bytes[start..<i]
            seen[key, default: 0] += 1
            i = skipSpace(bytes, i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { break }
            i += 1
        }
        return last.filter { seen[$0.key, default: 0] > 1 }
    }

    private static func skipSpace(_ b: [UInt8], _ from: Int) -> Int {
        var i = from
        while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
        return i
    }

    /// The index just past the string starting at `from` (its opening quote).
    private static func endOfString(_ b: [UInt8], _ from: Int) -> Int {
        var i = from + 1
        while i < b.count, b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
        return i + 1
    }

    /// The index just past the value starting at `from`: the next ',' or '}' outside strings and brackets.
    private static func endOfValue(_ b: [UInt8], _ from: Int) -> Int {
        var i = from, depth = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\""): i = endOfString(b, i) - 1
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
            case UInt8(ascii: ",") where depth == 0: return i
            default: break
            }
            i += 1
        }
        return i
    }

    private static func decodeKey(_ text: ArraySlice<UInt8>) -> String? {
        guard text.contains(UInt8(ascii: "\\")) else { return String(decoding: text.dropFirst().dropLast(), as: UTF8.self) }
        return try? JSONDecoder().decode(String.self, from: Data(text))
    }
}
