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
        let temp = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).staged-\(getpid())-\(staged.count)"
        ).path
        staged.append((temp, destination))
        return temp
    }

    /// A pair of temporary files (for an output that goes elsewhere, e.g. uploaded), removed with the run.
    func stageTemporary() throws -> (String, String) {
        if temporaryDirectory == nil {
            var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("fe-staged-XXXXXX").utf8CString)
            guard let dir = mkdtemp(&template) else {
                throw OutputError(path: NSTemporaryDirectory(), reason: "cannot create a temporary directory")
            }
            temporaryDirectory = String(cString: dir)
        }
        uploads += 1
        return (temporaryDirectory! + "/upload-\(uploads)", temporaryDirectory! + "/upload-\(uploads).sig")
    }

    /// Work that must succeed before any local output is committed (uploads).
    func beforeCommit(_ work: @escaping () throws -> Void) {
        pending.append(work)
    }

    private var temporaryDirectory: String?
    private var uploads = 0
    private var pending: [() throws -> Void] = []

    func commit() throws {
        for work in pending { try work() }
        pending.removeAll()
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
        pending.removeAll()
        if let dir = temporaryDirectory { try? FileManager.default.removeItem(atPath: dir) }
        temporaryDirectory = nil
    }

    deinit { discard() }
}

/// An output that could not be written.
public struct OutputError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "output \(path): \(reason)" }
}
