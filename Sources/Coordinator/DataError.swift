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
    /// Quotes a piece of untrusted input for an error message: escapes control characters
    /// and quotes, and truncates, so that a hostile or binary file cannot flood or garble
    /// the terminal through our messages.
    static func quote<S: StringProtocol>(_ text: S, limit: Int = 40) -> String {
        var out = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "..."
                break
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            count += 1
        }
        return out + "\""
    }

    /// Runs a file read, reporting its failure as bad data about that file (exit 65).
    static func reading<T>(_ body: () throws(FileError) -> T) throws(DataError) -> T {
        do {
            return try body()
        } catch {
            throw DataError(file: error.path, message: error.message)
        }
    }
}
