import FeatureExtractorSupport

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
            text += JSONString.quote(pair.key) + ":" + JSONString.quote(pair.value)
        }
        return text + "}"
    }

    static func encode(_ array: [String]) -> String {
        "[" + array.map(JSONString.quote).joined(separator: ",") + "]"
    }
}
