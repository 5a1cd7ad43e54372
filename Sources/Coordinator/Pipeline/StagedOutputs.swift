import Foundation

/// Output files of one run, committed together or not at all.
///
/// Each output is first written (atomically) to a hidden file beside its
/// destination; only when the whole run has succeeded are they renamed into
/// place. A run that fails, even after writing some outputs, leaves none behind.
final class StagedOutputs {
    private var staged: [(temp: String, final: String)] = []

    /// Checks up front that every destination's directory is writable, so a run
    /// does not train for an hour and then fail to save.
    static func checkWritable(_ paths: [String]) throws {
        for path in paths {
            let dir = (path as NSString).deletingLastPathComponent
            let d = dir.isEmpty ? "." : dir
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                throw OutputError(path: path, reason: "its directory \(d) does not exist")
            }
            guard access(d, W_OK) == 0 else { throw OutputError(path: path, reason: "its directory \(d) is not writable") }
        }
    }

    /// The path to write `destination`'s content to now.
    func stage(_ destination: String) -> String {
        let url = URL(fileURLWithPath: destination)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).staged-\(getpid())-\(staged.count)").path
        staged.append((temp, destination))
        return temp
    }

    func commit() throws {
        for (temp, final) in staged {
            guard rename(temp, final) == 0 else {
                let e = errno
                discard()
                throw OutputError(path: final, reason: "cannot be written (\(String(cString: strerror(e))))")
            }
        }
        staged.removeAll()
    }

    func discard() {
        for (temp, _) in staged { unlink(temp) }
        staged.removeAll()
    }

    deinit { discard() }
}

/// An output that could not be written.
public struct OutputError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "output \(path): \(reason)" }
}
