import Foundation

/// Warnings and notes: always on standard error, so standard output keeps only data or results.
enum Diagnostics {
    static func warn(_ text: String) { write("warning", text) }
    static func note(_ text: String) { write("note", text) }

    private static func write(_ kind: String, _ text: String) {
        FileHandle.standardError.write(Data("feature-extractor: \(kind): \(text)\n".utf8))
    }
}
