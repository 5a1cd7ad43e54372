import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// Layers configuration: built-in defaults < a JSON file < the command line.
///
/// A file is untrusted input: it is size-limited and must be a JSON object. Its keys are
/// translated (`ConfigurationTranslation`): the original tool's are mapped or named in a
/// warning, and a misspelt key of ours is an error, never silently ignored.
public enum ConfigurationLoader {
    public static let maxFileBytes = 1 << 20

    /// Reads a config file and translates its keys into a layer `merge` accepts.
    public static func load(_ path: String) throws -> ConfigurationTranslation {
        let (object, repeated) = try read(path)
        var translation = try ConfigurationTranslation.translate(object, source: path)
        for key in repeated {
            translation.notes.append("'\(key)' is given more than once: the last value is used, as the original did")
        }
        return translation
    }

    /// Reads a config file as a JSON object (keys not yet checked: see `load`).
    public static func readFile(_ path: String) throws -> [String: JSONValue] { try read(path).object }

    private static func read(_ path: String) throws -> (object: [String: JSONValue], repeated: [String]) {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.read(path: path, maxBytes: maxFileBytes, what: "a JSON config file")
        } catch {
            throw ConfigurationError.badFile(path: path, reason: "cannot be read: \(error.message)")
        }
        var object = try parseObject(Data(bytes), source: path)
        let repeated = RepeatedKeys.lastValues(in: bytes)
        for (key, text) in repeated {
            if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text)) { object[key] = value }
        }
        return (object, repeated.keys.sorted())
    }

    /// Checks config bytes from anywhere (a file, a server): size, a JSON object, namespaces that are objects.
    public static func parseObject(_ data: Data, source path: String) throws -> [String: JSONValue] {
        guard data.count <= maxFileBytes else {
            throw ConfigurationError.badFile(path: path, reason: "larger than \(maxFileBytes) bytes")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigurationError.badFile(path: path, reason: "not valid JSON (\(Self.position(of: error, in: data)))")
        }
        guard let object = value.objectValue else {
            throw ConfigurationError.badFile(path: path, reason: "must hold a JSON object")
        }
        for key in ["encoder", "decoder", "plugin_parameters"] {
            if let v = object[key], v.objectValue == nil {
                throw ConfigurationError.badFile(path: path, reason: "'\(key)' must be an object of plugin parameters")
            }
        }
        return object
    }

    /// Applies `layer` over `base`: every key present in `layer` wins; plugin
    /// namespaces merge key by key, so a file can set one encoder knob and the
    /// command line another.
    public static func merge(_ base: RunConfiguration, _ layer: [String: JSONValue], source: String) throws -> RunConfiguration {
        var object = try asObject(base)
        for (key, value) in layer {
            guard RunConfiguration.knownKeys.contains(key) else { throw ConfigurationError.unknownKey(key: key, source: source) }
            if namespaces.contains(key), case .object(let given) = value, case .object(var current)? = object[key] {
                for (k, v) in given { current[k] = v }
                object[key] = .object(current)
            } else {
                object[key] = value
            }
        }
        do {
            return try decode(object)
        } catch let error as DecodingError {
            var key = Self.key(of: error)
            if key.isEmpty {
                // Some failures (12.5 for an integer) carry no coding path: find the key by trying each alone.
                let defaults = try asObject(RunConfiguration())
                key = layer.keys.sorted().first { k in (try? decode(defaults.merging([k: layer[k]!]) { $1 })) == nil } ?? "?"
            }
            let given = layer[key].map { ": \(String($0.description.prefix(64)))" } ?? ""
            throw ConfigurationError.invalid(key: key, reason: "\(source): wrong type of value\(given)")
        }
    }

    private static func decode(_ object: [String: JSONValue]) throws -> RunConfiguration {
        try JSONDecoder().decode(RunConfiguration.self, from: JSONEncoder().encode(JSONValue.object(object)))
    }

    /// Keys whose objects merge key by key across layers.
    static let namespaces: Set<String> = ["encoder", "decoder", "plugin_parameters"]

    /// The configuration as a JSON object with every key, nulls included.
    public static func asObject(_ config: RunConfiguration) throws -> [String: JSONValue] {
        var object = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(config)).objectValue ?? [:]
        for key in RunConfiguration.knownKeys where object[key] == nil { object[key] = .null }
        return object
    }

    /// The configuration as stable, pretty JSON (sorted keys): what is saved, stored and digested.
    public static func encoded(_ config: RunConfiguration) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(config)
    }

    /// Writes the configuration as pretty JSON, atomically.
    public static func save(_ config: RunConfiguration, to path: String) throws {
        var copy = config
        copy.saveConfig = nil  // a saved config that saves itself again would overwrite on every load
        let data = try encoded(copy)
        let writer = try AtomicFileWriter(path: path)
        try data.withUnsafeBytes { try writer.write($0) }
        try writer.write("\n")
        try writer.commit()
    }

    static func key(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return c.codingPath.map(\.stringValue).joined(separator: ".")
        case .keyNotFound(let k, _): return k.stringValue
        @unknown default: return "?"
        }
    }

    static func position(of error: any Error, in data: Data) -> String {
        if let e = error as? DecodingError, case .dataCorrupted(let c) = e, let u = c.underlyingError {
            let text = "\(u)"
            if let r = text.range(of: "line [0-9]+", options: .regularExpression) { return String(text[r]) }
        }
        return "check brackets, commas and quotes"
    }
}
