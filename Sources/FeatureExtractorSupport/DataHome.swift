#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the tool keeps its state unless told otherwise (the database, its audit key, the
/// local signing key): `$FEATURE_EXTRACTOR_HOME`, else `$XDG_DATA_HOME/feature-extractor`, else
/// `~/.local/share/feature-extractor`. scripts/lib/common.sh follows the same rule.
///
/// Empty variables count as unset, and a relative `XDG_DATA_HOME` is ignored, as the XDG Base
/// Directory specification requires; without `HOME` the account's home directory is used.
public enum DataHome {
    public static func directory(environment: [String: String]) -> String {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        if let home = value("FEATURE_EXTRACTOR_HOME") {
            return home
        }
        if let data = value("XDG_DATA_HOME"), data.hasPrefix("/") {
            return join(data, "feature-extractor")
        }
        return join(value("HOME") ?? UserAccount.current?.home ?? "/", ".local/share/feature-extractor")
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// The effective user's account entry, read with the reentrant `getpwuid_r`.
public struct UserAccount: Sendable {
    public var name: String
    public var home: String

    public static var current: UserAccount? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        return buffer.withUnsafeMutableBufferPointer { buffer in
            // The strings in `entry` point into `buffer`: copy them out while it is alive.
            let status = getpwuid_r(geteuid(), &entry, buffer.baseAddress!, buffer.count, &result)
            guard status == 0, result != nil, let name = entry.pw_name else { return nil }
            let home = entry.pw_dir.map { String(cString: $0) } ?? "/"
            return UserAccount(name: String(cString: name), home: home)
        }
    }
}
