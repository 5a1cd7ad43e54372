import FeatureExtractorSupport
import Foundation
import XCTest

final class AtomicFileWriterTests: XCTestCase {
    private var directory: DataTestDirectory!

    override func setUpWithError() throws {
        directory = try DataTestDirectory()
    }

    override func tearDown() {
        directory = nil
    }

    private var target: String { directory.path + "/out.txt" }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Runs `body` with each temporary-file strategy in turn: unnamed (O_TMPFILE) and the
    /// named fallback. (One at a time: a live writer's temporary file must not be counted.)
    private func withEachWriter(
        path: String? = nil, mode: mode_t = 0o644,
        _ body: (AtomicFileWriter, Int) throws -> Void
    ) throws {
        for unnamed in [true, false] {
            try body(
                try AtomicFileWriter(path: path ?? target, mode: mode, allowUnnamedTemporary: unnamed),
                unnamed ? 0 : 1)
        }
    }

    func testCommitReplacesDestinationAndLeavesNoTemporaryFile() throws {
        try withEachWriter { writer, index in
            try directory.file("out.txt", "old")
            try writer.write("new ")
            try writer.write("content \(index)")
            // Until commit, readers still see the old file.
            XCTAssertEqual(try directory.contents("out.txt"), "old")
            try writer.commit()
            XCTAssertEqual(try directory.contents("out.txt"), "new content \(index)")
            XCTAssertEqual(try directory.entries(), ["out.txt"])
            XCTAssertEqual(try mode(target), 0o644)
        }
    }

    func testAbortKeepsDestinationAndRemovesTemporaryFile() throws {
        try withEachWriter { writer, _ in
            try directory.file("out.txt", "old")
            try writer.write("partial")
            writer.abort()
            writer.abort()  // idempotent
            XCTAssertEqual(try directory.contents("out.txt"), "old")
            XCTAssertEqual(try directory.entries(), ["out.txt"])
            XCTAssertThrowsError(try writer.write("more"))
            XCTAssertThrowsError(try writer.commit())
        }
    }

    func testDroppingUncommittedWriterCleansUp() throws {
        do {
            let writer = try AtomicFileWriter(path: target, mode: 0o644, allowUnnamedTemporary: false)
            try withExtendedLifetime(writer) {
                try writer.write("never committed")
                XCTAssertEqual(try directory.entries().count, 1, "the named temporary file exists while writing")
            }
        }
        do {
            let writer = try AtomicFileWriter(path: target)
            try writer.write("never committed")
        }
        XCTAssertEqual(try directory.entries(), [])
    }

    func testLargeWritesAndExactMode() throws {
        let big = [UInt8]((0..<(1 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try withEachWriter(mode: 0o600) { writer, _ in
            try writer.write("head")
            try big.withUnsafeBytes { try writer.write($0) }
            try writer.write("tail")
            try writer.commit()
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)))
            XCTAssertEqual(written, Array("head".utf8) + big + Array("tail".utf8))
            XCTAssertEqual(try mode(target), 0o600)
            XCTAssertThrowsError(try writer.commit(), "a second commit is refused")
        }
    }

    func testMissingDirectoryIsAnError() {
        let path = directory.path + "/no/such/dir/out.txt"
        assertFileError(try AtomicFileWriter(path: path), path: path, contains: ["temporary file", "No such file"])
    }

    func testRenameFailureCleansUp() throws {
        // The destination is a non-empty directory: rename must fail, and nothing may remain.
        let path = directory.path + "/occupied"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        try withEachWriter(path: path) { writer, _ in
            try writer.write("x")
            assertFileError(try writer.commit(), path: path, contains: ["cannot move"])
            XCTAssertEqual(try directory.entries(), ["occupied"])
        }
    }

    private func assertFileError<T>(
        _ expression: @autoclosure () throws -> T, path: String, contains fragments: [String],
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try expression(), line: line) { error in
            guard let error = error as? FileError else { return XCTFail("not a FileError: \(error)", line: line) }
            XCTAssertEqual(error.path, path, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "\(error) lacks '\(fragment)'", line: line)
            }
        }
    }
}
