/// One parameter a plugin declares in `initialize`: its type, default, range and meaning.
///
/// The coordinator validates user-given values against these declarations
/// before `configure`, and the plugin checks again on receipt (it must not trust
/// the host's validation any more than the host trusts the plugin).
public struct ParameterSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case integer, number, string, boolean }

    public var type: Kind
    public var defaultValue: JSONValue
    public var minimum: Double?
    public var maximum: Double?
    /// Allowed values of a string parameter.
    public var allowed: [String]?
    public var description: String

    enum CodingKeys: String, CodingKey {
        case type, minimum, maximum, description
        case defaultValue = "default"
        case allowed = "enum"
    }

    public init(
        _ type: Kind, default defaultValue: JSONValue, minimum: Double? = nil, maximum: Double? = nil,
        allowed: [String]? = nil, description: String
    ) {
        self.type = type
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.allowed = allowed
        self.description = description
    }

    /// Checks `value` against the declaration; the message names the parameter.
    public func check(_ value: JSONValue, name: String) throws(RPCError) {
        func bad(_ why: String) -> RPCError { .invalidParams("parameter '\(name)': \(why)") }
        switch type {
        case .integer:
            guard value.intValue != nil else { throw bad("expected an integer, got \(value)") }
        case .number:
            guard let n = value.doubleValue, n.isFinite else { throw bad("expected a finite number, got \(value)") }
        case .string:
            guard let s = value.stringValue else { throw bad("expected a string, got \(value)") }
            if let allowed, !allowed.contains(s) {
                throw bad("'\(s.prefix(64))' is not one of \(allowed.joined(separator: ", "))")
            }
        case .boolean:
            guard value.boolValue != nil else { throw bad("expected true or false, got \(value)") }
        }
        if let n = value.doubleValue {
            if let minimum, n < minimum { throw bad("\(value) is below the minimum \(JSONValue.number(minimum))") }
            if let maximum, n > maximum { throw bad("\(value) is above the maximum \(JSONValue.number(maximum))") }
        }
    }

    /// Parses a command-line string as this parameter's type (`"0.01"`, `"true"`, `"tanh"`).
    public func parse(_ text: String) -> JSONValue? {
        switch type {
        case .integer: return Int(text).map { .number(Double($0)) }
        case .number: return Double(text).flatMap { $0.isFinite ? .number($0) : nil }
        case .boolean: return text == "true" ? .bool(true) : text == "false" ? .bool(false) : nil
        case .string: return .string(text)
        }
    }
}

/// A plugin's declared parameters by name.
public typealias ParameterSchema = [String: ParameterSpec]

extension Dictionary where Key == String, Value == ParameterSpec {
    /// `given` checked against the schema and completed with defaults.
    /// Unknown names are errors: a misspelt knob must never be silently ignored.
    public func resolve(_ given: [String: JSONValue]) throws(RPCError) -> [String: JSONValue] {
        for name in given.keys.sorted() where self[name] == nil {
            let known = keys.sorted().joined(separator: ", ")
            throw .invalidParams("unknown parameter '\(name.prefix(64))' (known: \(known.isEmpty ? "none" : known))")
        }
        var out: [String: JSONValue] = [:]
        for (name, spec) in self {
            let value = given[name] ?? spec.defaultValue
            try spec.check(value, name: name)
            out[name] = value
        }
        return out
    }
}
