import PluginProtocol

/// Knobs that give one integer per block as a comma-separated string ("128,68,36,20,4"),
/// which the parameter schema has no type for. Configurations are untrusted: the text, the
/// number of values and every value are bounded, and errors name the knob and the value.
public enum ListKnob {
    /// Values in one list (no family has more blocks than this).
    public static let maxCount = 16
    /// Characters in one list's text.
    static let maxText = 200

    /// The declaration: a string, empty by default (the scalar knobs decide).
    public static func spec(_ description: String) -> ParameterSpec {
        ParameterSpec(
            .string, default: .string(""),
            description: description + " Comma-separated integers, at most \(maxCount); empty: the scalar knobs decide.")
    }

    /// The list `name` holds, or nil when it is empty; every value within `range`.
    static func integers(_ c: ModelConfiguration, _ name: String, range: ClosedRange<Int>) throws(RPCError) -> [Int]? {
        guard let text = c.string(name), !text.isEmpty else { return nil }
        let shown = text.prefix(40)
        guard text.utf8.count <= maxText else {
            throw .invalidParams("parameter '\(name)': the list \"\(shown)…\" is longer than \(maxText) characters")
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= maxCount else {
            throw .invalidParams("parameter '\(name)': \(parts.count) values in \"\(shown)\"; at most \(maxCount)")
        }
        var values: [Int] = []
        for part in parts {
            let trimmed = part.filter { $0 != " " }
            guard let v = Int(trimmed), range.contains(v) else {
                throw .invalidParams(
                    "parameter '\(name)': '\(part.prefix(12))' in \"\(shown)\" is not an integer from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            values.append(v)
        }
        return values
    }

    /// `list`, which must have `count` values (one per block, as `reference` sets them).
    static func matching(_ list: [Int]?, _ name: String, count: Int, reference: String) throws(RPCError) -> [Int]? {
        guard let list else { return nil }
        guard list.count == count else {
            throw .invalidParams(
                "parameter '\(name)': \(list.count) values, but \(reference) gives \(count) blocks: give one per block")
        }
        return list
    }
}
