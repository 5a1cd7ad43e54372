#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes a file atomically: readers see either the old file or the complete new one,
/// never a half-written model or CSV.
///
/// The data goes to a temporary file in the destination's directory (same file system, so
/// the final `rename` is atomic), is flushed with `fsync`, and is renamed over the
/// destination by `commit()`. If `commit()` is never reached (an error, an early exit,
/// the object going away) the temporary file is removed and the destination is untouched.
///
/// On Linux the temporary file is created with `O_TMPFILE`: it has no name until
/// `commit()` links it, so even a crash or `kill -9` leaves nothing behind. Where that is
/// unavailable, a hidden `.<name>.tmp-XXXXXX` file is used instead and removed on abort.
public final class AtomicFileWriter {
    public let path: String
    private let directory: String
    private let baseName: String
    private let mode: mode_t
    private var fd: Int32
    /// Name of the temporary file; nil while an `O_TMPFILE` file is still unnamed.
    private var temporaryPath: String?
    private var state = State.open
    private var buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0

    private enum State { case open, failed, committed, aborted }
    private static let bufferSize = 256 << 10

    public convenience init(path: String, mode: mode_t = 0o644) throws {
        try self.init(path: path, mode: mode, allowUnnamedTemporary: true)
    }

    /// `allowUnnamedTemporary: false` forces the named-temporary-file path, which tests
    /// use to cover the fallback on a system that has `O_TMPFILE`.
    package init(path: String, mode: mode_t, allowUnnamedTemporary: Bool) throws {
        let (directory, baseName) = PathComponents.split(path)
        guard !baseName.isEmpty, baseName != ".", baseName != ".." else {
            throw FileError(path: path, message: "not a file path")
        }
        self.path = path
        self.directory = directory
        self.baseName = baseName
        self.mode = mode
        if allowUnnamedTemporary, let unnamed = Self.openUnnamed(in: directory, mode: mode) {
            fd = unnamed
            temporaryPath = nil
        } else {
            var template = Array("\(Self.temporaryStem(directory, baseName))XXXXXX".utf8CString)
            let created = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard created >= 0 else {
                let code = errno
                throw FileError(
                    path: path, message: "cannot create a temporary file in '\(directory)': \(FileError.systemMessage(code))",
                    systemCode: code)
            }
            _ = fcntl(created, F_SETFD, FD_CLOEXEC)
            fd = created
            temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
        // Exact permissions whatever the umask: a model must be readable as documented.
        if fchmod(fd, mode) != 0 {
            let code = errno
            abort()
            throw FileError(path: path, message: "cannot set permissions: \(FileError.systemMessage(code))", systemCode: code)
        }
    }

    /// Replaces the file at `path` with `bytes` in one step (see the type's documentation).
    public static func write(_ bytes: some Collection<UInt8>, to path: String, mode: mode_t = 0o644) throws {
        let writer = try AtomicFileWriter(path: path, mode: mode)
        let written: Void? = try bytes.withContiguousStorageIfAvailable { try writer.write(UnsafeRawBufferPointer($0)) }
        if written == nil {
            try Array(bytes).withUnsafeBytes { try writer.write($0) }
        }
        try writer.commit()
    }

    deinit {
        abort()
        buffer.deallocate()
    }

    /// Appends bytes (buffered; errors may surface in a later call or in `commit()`).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try ensureOpen()
        guard !bytes.isEmpty else { return }
        if buffered + bytes.count > buffer.count {
            try flush()
        }
        if bytes.count >= buffer.count {
            try writeFully(bytes)
        } else {
            UnsafeMutableRawBufferPointer(rebasing: buffer[buffered..<(buffered + bytes.count)]).copyMemory(from: bytes)
            buffered += bytes.count
        }
    }

    public func write(_ string: String) throws {
        var copy = string
        try copy.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Makes the new content durable and visible at `path`, replacing any old file.
    public func commit() throws {
        try ensureOpen()
        do {
            try flush()
            guard fsync(fd) == 0 else { throw systemError("cannot flush to disk") }
            if temporaryPath == nil { try linkUnnamedFile() }
            let closing = fd
            fd = -1
            guard close(closing) == 0 else { throw systemError("cannot close") }
            guard let temporaryPath, rename(temporaryPath, path) == 0 else {
                throw systemError("cannot move the new file into place")
            }
        } catch {
            abort()
            throw error
        }
        self.temporaryPath = nil
        state = .committed
        syncDirectory()
    }

    /// Discards everything written so far; the destination stays as it was. Idempotent.
    public func abort() {
        guard state == .open || state == .failed else { return }
        state = .aborted
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if let temporaryPath {
            unlink(temporaryPath)
            self.temporaryPath = nil
        }
    }

    // MARK: - Internals

    private func ensureOpen() throws {
        switch state {
        case .open: return
        case .failed: throw FileError(path: path, message: "an earlier write failed; the file was not written")
        case .committed: throw FileError(path: path, message: "already committed")
        case .aborted: throw FileError(path: path, message: "already aborted")
        }
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        let pending = buffered
        buffered = 0
        try writeFully(UnsafeRawBufferPointer(rebasing: buffer[0..<pending]))
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                let error = systemError("cannot write")
                state = .failed
                throw error
            }
        }
    }

    /// Gives the unnamed `O_TMPFILE` file a hidden name next to the destination, so that
    /// `rename` can replace the destination atomically (`linkat` cannot replace).
    private func linkUnnamedFile() throws {
        for _ in 0..<8 {
            let candidate = Self.temporaryStem(directory, baseName) + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, candidate, AT_SYMLINK_FOLLOW) == 0 {
                temporaryPath = candidate
                return
            }
            if errno != EEXIST { break }
        }
        throw systemError("cannot name the new file")
    }

    private func syncDirectory() {
        // Makes the rename itself durable. Best effort: the new file is already in place,
        // and some file systems refuse fsync on directories.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { return }
        _ = fsync(directoryFD)
        close(directoryFD)
    }

    private func systemError(_ what: String) -> FileError {
        let code = errno
        return FileError(path: path, message: "\(what): \(FileError.systemMessage(code))", systemCode: code)
    }

    /// `dir/.name.tmp-`: hidden, recognisable, and well under NAME_MAX (255) however long
    /// the destination's name is.
    private static func temporaryStem(_ directory: String, _ baseName: String) -> String {
        let shortName = baseName.utf8.count > 200 ? String(baseName.prefix(50)) : baseName
        return "\(directory)/.\(shortName).tmp-"
    }

    /// Opens an unnamed temporary file in `directory`, or nil where `O_TMPFILE` or
    /// `/proc/self/fd` (needed to link it later) is unavailable.
    private static func openUnnamed(in directory: String, mode: mode_t) -> Int32? {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        // O_TMPFILE is a compound macro that Swift does not import; this is its value on
        // these architectures (__O_TMPFILE | O_DIRECTORY).
        let oTmpFile: Int32 = 0o20000000 | O_DIRECTORY
        guard access("/proc/self/fd", X_OK) == 0 else { return nil }
        let fd = open(directory, oTmpFile | O_WRONLY | O_CLOEXEC, mode)
        return fd >= 0 ? fd : nil
        #else
        return nil
        #endif
    }
}
