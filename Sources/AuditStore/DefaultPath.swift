import Foundation

extension AuditStore {
    /// Where the database lives unless told otherwise: `$FEATURE_EXTRACTOR_DB`, else
    /// `$FEATURE_EXTRACTOR_HOME/feature-extractor.sqlite`, else
    /// `$XDG_DATA_HOME/feature-extractor/feature-extractor.sqlite`, else
    /// `~/.local/share/feature-extractor/feature-extractor.sqlite`.
    ///
    /// Empty variables count as unset, and a relative `XDG_DATA_HOME` is ignored, as the
    /// XDG Base Directory specification requires.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let fileName = "feature-extractor.sqlite"
        if let path = value("FEATURE_EXTRACTOR_DB") {
            return path
        }
        if let home = value("FEATURE_EXTRACTOR_HOME") {
            return (home as NSString).appendingPathComponent(fileName)
        }
        if let data = value("XDG_DATA_HOME"), data.hasPrefix("/") {
            return ((data as NSString).appendingPathComponent("feature-extractor") as NSString).appendingPathComponent(fileName)
        }
        let home = value("HOME") ?? passwordEntry()?.home ?? "/"
        return ((home as NSString).appendingPathComponent(".local/share/feature-extractor") as NSString)
            .appendingPathComponent(fileName)
    }

    /// The OS user running this process (`getpwuid(geteuid())`): the actor of audit entries
    /// when nobody authenticated. `uid:<n>` when the user has no name.
    public static var osUser: String {
        passwordEntry()?.name ?? "uid:\(geteuid())"
    }

    /// The effective user's name and home directory, read with the reentrant `getpwuid_r`.
    private static func passwordEntry() -> (name: String, home: String)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        return buffer.withUnsafeMutableBufferPointer { buffer in
            // The strings in `entry` point into `buffer`: copy them out while it is alive.
            let status = getpwuid_r(geteuid(), &entry, buffer.baseAddress!, buffer.count, &result)
            guard status == 0, result != nil, let name = entry.pw_name else { return nil }
            let home = entry.pw_dir.map { String(cString: $0) } ?? "/"
            return (String(cString: name), home)
        }
    }
}
