import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// A saved encoder or decoder: its weights in safetensors, described by metadata
/// that says which plugin made it and how to feed it.
///
/// Metadata values are strings (a safetensors rule); structured ones hold JSON.
/// Everything read from a model file is validated before a plugin sees it.
public struct ModelFile: Sendable, Equatable {
    public static let format = "feature-extractor-model"
    public static let formatVersion = "1"

    public var role: PluginRole
    public var pluginName: String
    public var pluginVersion: String
    public var windowSize: Int
    public var interfaceSize: Int
    /// The plugin's effective parameters when the model was trained.
    public var parameters: [String: JSONValue]
    public var normalization: NormalizationStats
    public var createdAt: String
    /// SHA-256 of the training data file, to trace a model back to its data.
    public var trainingDataSHA256: String?
    public var state: ModelState

    public init(
        role: PluginRole, pluginName: String, pluginVersion: String, windowSize: Int, interfaceSize: Int,
        parameters: [String: JSONValue], normalization: NormalizationStats, createdAt: String,
        trainingDataSHA256: String?, state: ModelState
    ) {
        self.role = role
        self.pluginName = pluginName
        self.pluginVersion = pluginVersion
        self.windowSize = windowSize
        self.interfaceSize = interfaceSize
        self.parameters = parameters
        self.normalization = normalization
        self.createdAt = createdAt
        self.trainingDataSHA256 = trainingDataSHA256
        self.state = state
    }

    /// The safetensors bytes (signed and written by `SignedModel`).
    public func serialized() throws -> [UInt8] {
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (name, t) in state.tensors { tensors[name] = SafeTensors.Tensor(shape: t.shape, values: t.values) }
        var metadata = [
            "format": Self.format, "format_version": Self.formatVersion,
            "role": role.rawValue, "plugin_name": pluginName, "plugin_version": pluginVersion,
            "protocol_version": String(PluginProtocolVersion.current),
            "window_size": String(windowSize), "interface_size": String(interfaceSize),
            "parameters": JSONValue.object(parameters).description,
            "normalization": String(decoding: try Self.json.encode(normalization), as: UTF8.self),
            "created_at": createdAt,
        ]
        if let d = trainingDataSHA256 { metadata["training_data_sha256"] = d }
        return try SafeTensors(tensors: tensors, metadata: metadata).serialized()
    }

    /// Parses and checks a model file's bytes; `DataError`s name the file (`path`) and the field.
    public static func parse(_ bytes: [UInt8], source path: String) throws -> ModelFile {
        let st = try SafeTensors.parse(bytes, source: path)
        let m = st.metadata
        func field(_ key: String) throws -> String {
            guard let v = m[key] else {
                throw DataError(file: path, field: key, message: "model metadata lacks '\(key)'; not a feature-extractor model?")
            }
            return v
        }
        func int(_ key: String) throws -> Int {
            guard let v = Int(try field(key)), v > 0, v <= 1 << 20 else {
                throw DataError(file: path, field: key, message: "must be a positive integer")
            }
            return v
        }
        guard try field("format") == format else {
            throw DataError(file: path, field: "format", message: "not a feature-extractor model")
        }
        guard try field("format_version") == formatVersion else {
            throw DataError(
                file: path, field: "format_version",
                message: "version \(m["format_version"] ?? "?") is not supported (expected \(formatVersion))")
        }
        guard let role = PluginRole(rawValue: try field("role")) else {
            throw DataError(file: path, field: "role", message: "must be encoder or decoder")
        }
        let name = try field("plugin_name")
        guard PluginName.isValid(name) else {
            throw DataError(file: path, field: "plugin_name", message: "not a valid plugin name")
        }
        let version = try field("plugin_version")
        guard SemanticVersion(version) != nil else {
            throw DataError(file: path, field: "plugin_version", message: "not MAJOR.MINOR.PATCH")
        }
        let parameters: [String: JSONValue]
        do {
            guard let p = try JSONDecoder().decode(JSONValue.self, from: Data(try field("parameters").utf8)).objectValue else {
                throw DataError(file: path, message: "")
            }
            parameters = p
        } catch {
            throw DataError(file: path, field: "parameters", message: "must be a JSON object")
        }
        let normalization: NormalizationStats
        do {
            normalization = try JSONDecoder().decode(NormalizationStats.self, from: Data(try field("normalization").utf8))
        } catch {
            throw DataError(file: path, field: "normalization", message: "invalid normalisation statistics")
        }
        try normalization.validate(source: path)
        var tensors: [String: Tensor] = [:]
        for (name, t) in st.tensors where !t.shape.isEmpty && t.shape.count <= Tensor.maxRank {
            tensors[name] = Tensor(shape: t.shape, values: t.values)
        }
        guard tensors.count == st.tensors.count else {
            throw DataError(file: path, message: "a tensor has rank 0 or above \(Tensor.maxRank)")
        }
        if let bad = tensors.first(where: { $0.value.values.contains { !$0.isFinite } }) {
            throw DataError(file: path, field: bad.key, message: "holds NaN or infinity")
        }
        return ModelFile(
            role: role, pluginName: name, pluginVersion: version, windowSize: try int("window_size"),
            interfaceSize: try int("interface_size"), parameters: parameters, normalization: normalization,
            createdAt: m["created_at"] ?? "", trainingDataSHA256: m["training_data_sha256"],
            state: ModelState(tensors: tensors))
    }

    /// Refuses a model made by another plugin, role or major version, with the fix in the message.
    public func checkCompatible(with info: InitializeResult, path: String) throws {
        guard role == info.role else {
            throw ModelMismatch(path: path, reason: "it is a saved \(role), but it is being loaded as the \(info.role)")
        }
        guard pluginName == info.name else {
            throw ModelMismatch(
                path: path,
                reason:
                    "it was made by the \(role) plugin '\(pluginName)', not '\(info.name)'; use --\(role)-plugin \(pluginName)")
        }
        guard let mine = SemanticVersion(pluginVersion), let theirs = SemanticVersion(info.version), mine.major == theirs.major
        else {
            throw ModelMismatch(
                path: path,
                reason:
                    "it was made by \(pluginName) \(pluginVersion); the installed plugin is \(info.version) (major versions differ)"
            )
        }
    }

    static let json: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()
}

/// A model that does not fit the plugin or the run it is loaded into.
public struct ModelMismatch: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "model \(path) cannot be used: \(reason)" }
}
