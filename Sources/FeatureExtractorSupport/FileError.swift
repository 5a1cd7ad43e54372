#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file that could not be read or written, with the path as the caller gave it and the
/// reason in words (`model.safetensors: cannot open the file: No such file or directory`).
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var message: String
    /// The errno behind the failure, when a system call failed (callers map EROFS or EACCES).
    public var systemCode: Int32?

    public init(path: String, message: String, systemCode: Int32? = nil) {
        self.path = path
        self.message = message
        self.systemCode = systemCode
    }

    public var description: String { "\(path): \(message)" }

    /// The C library's message for an errno value, e.g. "No such file or directory".
    public static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
