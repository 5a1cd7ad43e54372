import FeatureExtractorSupport
import Foundation

/// Where one output of a run goes, decided before anything is written.
///
/// - `-` is standard output (text outputs only).
/// - A device, FIFO or other special file (`/dev/null`, a terminal, the original tool's
///   `/dev/stdout` idiom, anything under `/dev/` or `/proc/self/fd/`) is written in place at
///   commit, never replaced.
/// - Anything else is a regular file, reached through any symbolic links: the new content is
///   staged beside the link's final target and renamed over it, so the link stays a link.
enum OutputDestination: Equatable {
    case standardOutput
    case special(String)
    case file(String)

    /// Whether `path` names this process's standard output: `-`, or one of its device names.
    static func isStandardOutput(_ path: String) -> Bool {
        ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].contains(path)
    }

    init(_ path: String) throws {
        if path == "-" {
            self = .standardOutput
            return
        }
        if path.hasPrefix("/dev/") || path.hasPrefix("/proc/self/fd/") {
            self = .special(path)
            return
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            self = .file(path)  // a new file
            return
        }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw OutputError(
                    path: path, reason: "is a symbolic link to a file that does not exist; remove it or point it at one")
            }
            defer { free(resolved) }
            let target = String(cString: resolved)
            guard stat(target, &info) == 0 else { throw OutputError(path: path, reason: "cannot be inspected") }
            self = (info.st_mode & S_IFMT) == S_IFREG ? .file(target) : .special(target)
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .file(path)
        case S_IFDIR: throw OutputError(path: path, reason: "is a directory; give a file name")
        default: self = .special(path)
        }
    }
}

extension RunConfiguration {
    /// Whether a text output goes to standard output, which then holds only data (the run's
    /// messages go to standard error).
    public var writesToStandardOutput: Bool {
        [outputFile, evaluateEncoder, evaluateDecoder, saveConfig, saveLog, lossPlot].contains {
            $0.map(OutputDestination.isStandardOutput) ?? false
        }
    }
}
