import FeatureExtractorSupport
import Foundation

/// Output files of one run, committed together or not at all.
///
/// Each output is first written (atomically) to a hidden file beside its destination (see
/// `OutputDestination`: beside a symbolic link's target), or, for standard output and special
/// files, to a private temporary directory; only when the whole run has succeeded are they put
/// in place: special files and standard output written first, then every file renamed. A run
/// that fails, even after writing some outputs, leaves none behind.
final class StagedOutputs {
    private var staged: [(temp: String, final: OutputDestination)] = []

    /// Checks up front that every destination can be written, so a run does not train for an
    /// hour and then fail to save.
    static func checkWritable(_ paths: [String]) throws {
        for path in paths {
            switch try OutputDestination(path) {
            case .standardOutput:
                continue
            case .special(let target):
                guard access(target, W_OK) == 0 else { throw OutputError(path: path, reason: "is not writable") }
            case .file(let target):
                let d = PathComponents.directory(of: target)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                    throw OutputError(path: path, reason: "its directory \(d) does not exist")
                }
                guard access(d, W_OK) == 0 else { throw OutputError(path: path, reason: "its directory \(d) is not writable") }
            }
        }
    }

    /// The path to write `destination`'s content to now.
    func stage(_ destination: String) throws -> String {
        let kind = try OutputDestination(destination)
        let temp: String
        switch kind {
        case .file(let target):
            // Beside the destination (its own file system, for an atomic rename).
            let (directory, name) = PathComponents.split(target)
            temp = directory + "/.\(name).staged-\(getpid())-\(staged.count)"
        case .standardOutput, .special:
            temp = try privateDirectory() + "/output-\(staged.count)"
        }
        staged.append((temp, kind))
        StagedFiles.shared.addFile(temp)
        return temp
    }

    /// A pair of temporary files (for an output that goes elsewhere, e.g. uploaded), removed with the run.
    func stageTemporary() throws -> (String, String) {
        let directory = try privateDirectory()
        uploads += 1
        return (directory + "/upload-\(uploads)", directory + "/upload-\(uploads).sig")
    }

    /// This run's private (0700) temporary directory, created on first use.
    private func privateDirectory() throws -> String {
        if let temporaryDirectory { return temporaryDirectory }
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("fe-staged-XXXXXX").utf8CString)
        guard let dir = mkdtemp(&template) else {
            throw OutputError(path: NSTemporaryDirectory(), reason: "cannot create a temporary directory")
        }
        temporaryDirectory = String(cString: dir)
        StagedFiles.shared.addDirectory(temporaryDirectory!)
        return temporaryDirectory!
    }

    /// Work that must succeed before any local output is committed (uploads).
    func beforeCommit(_ work: @escaping () throws -> Void) {
        pending.append(work)
    }

    /// Work that records what was committed (the audit log): run only once every output is in
    /// place, never for a run whose outputs were discarded.
    func afterCommit(_ work: @escaping () throws -> Void) {
        committed.append(work)
    }

    private var temporaryDirectory: String?
    private var uploads = 0
    private var pending: [() throws -> Void] = []
    private var committed: [() throws -> Void] = []

    func commit() throws {
        for work in pending { try work() }
        pending.removeAll()
        // Streams first: they are the ones that can fail now (a closed pipe, a full device).
        for (temp, final) in staged {
            switch final {
            case .standardOutput: try copy(temp, toDescriptor: 1, named: "standard output")
            case .special(let path): try copy(temp, toSpecialFile: path)
            case .file: continue
            }
        }
        for (temp, final) in staged {
            guard case .file(let path) = final else { continue }
            guard rename(temp, path) == 0 else {
                let e = errno
                discard()
                throw OutputError(path: path, reason: "cannot be written (\(String(cString: strerror(e))))")
            }
            StagedFiles.shared.remove(temp)
        }
        staged.removeAll()
        discard()
        let records = committed
        committed.removeAll()
        for work in records { try work() }
    }

    private func copy(_ temp: String, toSpecialFile path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            discard()
            throw OutputError(path: path, reason: "cannot be opened for writing (\(String(cString: strerror(e))))")
        }
        defer { close(fd) }
        try copy(temp, toDescriptor: fd, named: path)
    }

    /// Writes a staged file's bytes to `fd` (standard output or a special file), in order.
    private func copy(_ temp: String, toDescriptor fd: Int32, named name: String) throws {
        guard let input = FileHandle(forReadingAtPath: temp) else {
            discard()
            throw OutputError(path: name, reason: "its staged content is gone")
        }
        defer { try? input.close() }
        while true {
            let chunk = input.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            var written = 0
            while written < chunk.count {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let e = errno
                    discard()
                    throw OutputError(path: name, reason: "cannot be written (\(String(cString: strerror(e))))")
                }
                written += n
            }
        }
    }

    func discard() {
        for (temp, _) in staged {
            unlink(temp)
            StagedFiles.shared.remove(temp)
        }
        staged.removeAll()
        pending.removeAll()
        if let dir = temporaryDirectory {
            try? FileManager.default.removeItem(atPath: dir)
            StagedFiles.shared.remove(dir)
        }
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
