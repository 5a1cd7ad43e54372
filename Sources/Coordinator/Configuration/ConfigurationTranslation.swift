import PluginProtocol

/// A configuration object (a file, a remote config, the command line) read into our keys:
/// the original tool's renamed keys mapped, its top-level plugin knobs gathered in
/// `plugin_parameters`, and every key without effect here collected for one warning.
///
/// A key that is nobody's and is close to one of ours is an error with a "did you mean": a
/// typo in a key we honour must not run with the default. Any other unknown key is warned.
public struct ConfigurationTranslation: Sendable, Equatable {
    /// Only our keys: what `ConfigurationLoader.merge` applies.
    public var layer: [String: JSONValue] = [:]
    /// Original name and ours, for every renamed key that was mapped.
    public var renamed: [Rename] = []
    /// Top-level knobs moved to `plugin_parameters`.
    public var routed: [String] = []
    /// The original's keys without effect here, with why.
    public var ignored: [String: OriginalFormat.Inert] = [:]
    /// Keys unknown to us and to the original (and not close to one of ours).
    public var unknown: [String] = []
    /// Other changes worth a note (plugin names mapped, nulls left at their defaults).
    public var notes: [String] = []

    public struct Rename: Sendable, Equatable {
        public var from: String
        public var to: String
    }

    /// Translates `object`; `source` names it in errors and messages.
    public static func translate(_ object: [String: JSONValue], source: String) throws -> ConfigurationTranslation {
        var t = ConfigurationTranslation()
        var knobs = object["plugin_parameters"]?.objectValue ?? [:]
        for key in object.keys.sorted() {
            let value = object[key]!
            if RunConfiguration.knownKeys.contains(key) {
                t.keep(key, value)
            } else if let ours = OriginalFormat.renamed[key] {
                if object[ours] != nil {
                    t.notes.append("'\(key)' is the original's name for '\(ours)', which is also set: '\(ours)' is used")
                } else {
                    t.renamed.append(Rename(from: key, to: ours))
                    let (kept, note) = OriginalFormat.translatedValue(value, of: key)
                    if let note { t.notes.append(note) }
                    t.keep(ours, kept)
                }
            } else if OriginalFormat.pluginKnobs.contains(key) {
                if knobs[key] == nil { knobs[key] = value }
                t.routed.append(key)
            } else if let reason = OriginalFormat.inert[key] {
                t.ignored[key] = reason
            } else if let near = nearMiss(key) {
                throw ConfigurationError.unknownKey(key: key, source: source, suggestion: near)
            } else {
                t.unknown.append(key)
            }
        }
        if !knobs.isEmpty { t.layer["plugin_parameters"] = .object(knobs) }
        t.dropNullsOfRequiredKeys()
        return t
    }

    /// Keeps one of our keys, mapping the original's plugin names to ours.
    private mutating func keep(_ key: String, _ value: JSONValue) {
        if key == "encoder_plugin" || key == "decoder_plugin", let name = value.stringValue,
            let ours = OriginalFormat.pluginNames[name]
        {
            notes.append("\(key) '\(name)' is the original's default plugin: '\(ours)' is used")
            layer[key] = .string(ours)
        } else {
            layer[key] = value
        }
    }

    /// The original wrote `null` for "not set"; a key of ours that cannot be null keeps its default.
    private mutating func dropNullsOfRequiredKeys() {
        let defaults = (try? ConfigurationLoader.asObject(RunConfiguration())) ?? [:]
        for (key, value) in layer where value == .null && defaults[key] != .null {
            layer.removeValue(forKey: key)
            notes.append("\(key) is null: its default is kept")
        }
    }

    /// One of our keys (or the original's) that `key` is probably a typo of.
    static func nearMiss(_ key: String) -> String? {
        // No key of ours is longer; the cap keeps a hostile file's megabyte key from costing minutes.
        guard key.utf8.count <= 64 else { return nil }
        let candidates = RunConfiguration.knownKeys.union(OriginalFormat.renamed.keys)
        let close = candidates.filter { known in
            let d = editDistance(key, known)
            return d <= (key.count <= 5 ? 1 : 2)
        }
        if let best = close.min(by: { (editDistance(key, $0), $0) < (editDistance(key, $1), $1) }) { return best }
        // A shortened key ("window" for window_size), when only one key starts that way.
        let prefixed = RunConfiguration.knownKeys.filter { $0.hasPrefix(key + "_") }
        return key.count >= 4 && prefixed.count == 1 ? prefixed.first : nil
    }

    /// Levenshtein distance over bytes (keys are ASCII).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// True when the object needed nothing: every key was ours, under its own name.
    public var isClean: Bool { renamed.isEmpty && routed.isEmpty && ignored.isEmpty && unknown.isEmpty && notes.isEmpty }

    /// Every key without effect, grouped by why (the original's reasons first, then unknown keys).
    public var droppedGroups: [(reason: String, keys: [String])] {
        var groups: [(String, [String])] = OriginalFormat.Inert.allCases.compactMap { reason in
            let keys = ignored.filter { $0.value == reason }.keys.sorted()
            return keys.isEmpty ? nil : (reason.rawValue, keys)
        }
        if !unknown.isEmpty { groups.append(("unknown to this tool and to the original", unknown.sorted())) }
        return groups
    }

    /// The one warning naming every key without effect, grouped by why; nil when there is none.
    public func warning(source: String) -> String? {
        guard !ignored.isEmpty || !unknown.isEmpty else { return nil }
        var lines = ["\(source): \(ignored.count + unknown.count) key(s) have no effect here and are ignored:"]
        lines += droppedGroups.map { group in
            // A file may hold thousands of keys: the first few name the problem.
            let shown = group.keys.prefix(40).joined(separator: ", ")
            return "  \(group.reason): \(shown)" + (group.keys.count > 40 ? " and \(group.keys.count - 40) more" : "")
        }
        lines.append("  ('feature-extractor config migrate \(source) NEW.json' writes the file without them)")
        return lines.joined(separator: "\n")
    }

    /// What was mapped rather than dropped; nil when nothing was.
    public func note(source: String) -> String? {
        var parts: [String] = []
        if !renamed.isEmpty {
            parts.append("renamed: " + renamed.map { "\($0.from) -> \($0.to)" }.joined(separator: ", "))
        }
        if !routed.isEmpty {
            parts.append(
                "plugin knobs given to each plugin that declares them (plugin_parameters): " + routed.joined(separator: ", "))
        }
        parts += notes
        return parts.isEmpty ? nil : "\(source): " + parts.joined(separator: "; ")
    }
}
