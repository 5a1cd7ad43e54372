import FeatureExtractorSupport
import Foundation
import XCTest

@testable import Coordinator

/// A private temporary directory per test, removed afterwards.
final class DataTestDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/coordinator-data-XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw XCTSkip("cannot create a temporary directory")
        }
        path = String(cString: created)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `contents` verbatim (as UTF-8) to `name` and returns the full path.
    @discardableResult
    func file(_ name: String, _ contents: String) throws -> String {
        try bytes(name, Array(contents.utf8))
    }

    @discardableResult
    func bytes(_ name: String, _ contents: [UInt8]) throws -> String {
        let full = "\(path)/\(name)"
        try Data(contents).write(to: URL(fileURLWithPath: full))
        return full
    }

    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func contents(_ name: String) throws -> String {
        try String(contentsOfFile: "\(path)/\(name)", encoding: .utf8)
    }
}

/// Asserts that `body` throws a `DataError` located at `file`/`line`/`field` whose message
/// contains every fragment; returns the error for further checks.
@discardableResult
func assertDataError<T>(
    _ body: @autoclosure () throws -> T, file: String, line: Int?, field: String?,
    contains fragments: [String],
    sourceFile: StaticString = #filePath, sourceLine: UInt = #line
) -> DataError? {
    do {
        _ = try body()
        XCTFail("expected a DataError, nothing was thrown", file: sourceFile, line: sourceLine)
        return nil
    } catch let error as DataError {
        XCTAssertEqual(error.file, file, "file", file: sourceFile, line: sourceLine)
        XCTAssertEqual(error.line, line, "line in \(error)", file: sourceFile, line: sourceLine)
        XCTAssertEqual(error.field, field, "field in \(error)", file: sourceFile, line: sourceLine)
        for fragment in fragments {
            XCTAssertTrue(
                error.message.contains(fragment),
                "message \(DisplayText.quoted(error.message, limit: 400)) lacks \(DisplayText.quoted(fragment))",
                file: sourceFile, line: sourceLine)
        }
        return error
    } catch {
        XCTFail("expected a DataError, got \(error)", file: sourceFile, line: sourceLine)
        return nil
    }
}

/// The repository's sample data, found from this source file (following the scratch
/// package's symlinks), or nil when it is not there.
func sampleCSVPath(_ name: String = "eurusd_1h_d1.csv") -> String? {
    let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    let root = here.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent("data/sample/\(name)").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}
