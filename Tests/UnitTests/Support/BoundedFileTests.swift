import FeatureExtractorSupport
import Foundation
import XCTest

final class BoundedFileTests: XCTestCase {
    func testReadsAFileUpToTheLimit() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/small"
        try Data("12345".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try BoundedFile.read(path: path, maxBytes: 5, what: "a test file"), Array("12345".utf8))
        XCTAssertThrowsError(try BoundedFile.read(path: path, maxBytes: 4, what: "a test file")) { error in
            XCTAssertEqual((error as? FileError)?.path, path)
            XCTAssertTrue("\(error)".contains("more than the limit of 4 bytes for a test file"), "\(error)")
        }
    }

    /// Devices and FIFOs could be endless: they are refused before any byte is read.
    func testRefusesWhatIsNotARegularFile() throws {
        let directory = try DataTestDirectory()
        for path in ["/dev/zero", directory.path] {
            XCTAssertThrowsError(try BoundedFile.read(path: path, maxBytes: 1 << 20, what: "a test file")) { error in
                XCTAssertTrue("\(error)".contains("not a regular file") || "\(error)".contains("cannot"), "\(error)")
            }
        }
    }

    func testMissingFileNamesThePathAndTheSystemReason() {
        XCTAssertThrowsError(try BoundedFile.read(path: "/no/such/file", maxBytes: 10, what: "a test file")) { error in
            XCTAssertEqual((error as? FileError)?.systemCode, ENOENT)
            XCTAssertEqual("\(error)", "/no/such/file: cannot open the file: No such file or directory")
        }
    }
}
