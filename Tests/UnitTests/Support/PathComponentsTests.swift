import FeatureExtractorSupport
import XCTest

final class PathComponentsTests: XCTestCase {
    func testSplitsAtTheLastSlashOnly() {
        XCTAssertTrue(PathComponents.split("a/b/c.json") == ("a/b", "c.json"))
        XCTAssertTrue(PathComponents.split("c.json") == (".", "c.json"))
        XCTAssertTrue(PathComponents.split("/c.json") == ("/", "c.json"))
        XCTAssertTrue(PathComponents.split("../x") == ("..", "x"))
    }

    /// Inputs on which Foundation's path methods trap on Linux: split, not crash.
    func testOddPathsAreSplitNotTrapped() {
        XCTAssertTrue(PathComponents.split("-") == (".", "-"))
        XCTAssertTrue(PathComponents.split("") == (".", ""))
        XCTAssertTrue(PathComponents.split("/") == ("/", ""))
    }
}
