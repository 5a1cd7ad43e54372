/// A path's directory and last component, split at its last '/' with no other interpretation.
///
/// Foundation's `deletingLastPathComponent` traps on some inputs on Linux (a path of `-`
/// ended the process with SIGILL), so paths a user typed are split here instead.
public enum PathComponents {
    /// `("dir", "name")` for `dir/name`, `(".", "name")` for `name`, `("/", "name")` for `/name`.
    public static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    public static func directory(of path: String) -> String { split(path).directory }
}
