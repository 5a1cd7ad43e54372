#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads a whole (small) file with a size limit checked before reading, so that a huge or
/// endless file (a device, a FIFO) is refused instead of exhausting memory.
public enum BoundedFile {
    /// - Parameter what: what the file should be, for the messages ("a model file").
    public static func read(path: String, maxBytes: Int, what: String) throws(FileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw FileError(path: path, message: "cannot open the file: \(FileError.systemMessage(code))", systemCode: code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw FileError(path: path, message: "cannot inspect the file: \(FileError.systemMessage(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(path: path, message: "is not a regular file; expected \(what)")
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw FileError(path: path, message: "is \(size) bytes, more than the limit of \(maxBytes) bytes for \(what)")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            // Read exactly the size seen by fstat: a file growing meanwhile is cut there.
            while initialized < size {
                let count = Glibc.read(fd, buffer.baseAddress! + initialized, size - initialized)
                if count > 0 {
                    initialized += count
                } else if count == 0 {
                    break
                } else if errno != EINTR {
                    failure = errno
                    break
                }
            }
        }
        if failure != 0 {
            throw FileError(path: path, message: "cannot read the file: \(FileError.systemMessage(failure))")
        }
        return bytes
    }
}
