import FeatureExtractorSupport
import Foundation

/// An error about bad data, located as precisely as we can (file, physical line, field), so
/// that a user can open the file at the right place and fix it without guessing.
///
/// `description` reads like `data.csv:17: field 'CLOSE': not a number: "abc"`, the
/// `file:line:` shape that editors and terminals turn into a link.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The path as the user gave it (not resolved), so the message matches what they typed.
    public var file: String
    /// 1-based physical line, or nil when the problem concerns the whole file.
    public var line: Int?
    /// Column or tensor name, or nil when the problem is not about one field.
    public var field: String?
    /// What is wrong and, where it helps, what to do about it.
    public var message: String

    public init(file: String, line: Int? = nil, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "field '\(field)': " }
        return text + message
    }
}

extension DataError {
    /// Runs a file read, reporting its failure as bad data about that file (exit 65).
    static func reading<T>(_ body: () throws(FileError) -> T) throws(DataError) -> T {
        do {
            return try body()
        } catch {
            throw DataError(file: error.path, message: error.message)
        }
    }
}
