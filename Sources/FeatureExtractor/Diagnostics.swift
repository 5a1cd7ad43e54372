import FeatureExtractorSupport
import Foundation

/// Warnings and notes: always on standard error, so standard output keeps only data or results.
enum Diagnostics {
    static func warn(_ text: String) { write("warning", text) }
    static func note(_ text: String) { write("note", text) }

    private static func write(_ kind: String, _ text: String) {
        // Warnings quote config keys and values, which may come from a server: shown escaped.
        FileHandle.standardError.write(Data("feature-extractor: \(kind): \(DisplayText.lines(text))\n".utf8))
    }
}
