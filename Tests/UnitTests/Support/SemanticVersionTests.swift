import FeatureExtractorSupport
import XCTest

final class SemanticVersionTests: XCTestCase {
    func testSemanticVersionParsing() throws {
        let v = try XCTUnwrap(SemanticVersion("1.20.3"))
        XCTAssertEqual([v.major, v.minor, v.patch], [1, 20, 3])
        XCTAssertEqual(v.description, "1.20.3")
        XCTAssertNotNil(SemanticVersion("0.0.0"))
        for bad in [
            "", "1", "1.2", "1.2.3.4", "1..3", ".1.2", "1.2.", "a.b.c", "1.2.3-beta", "1.2.3+build", "v1.2.3",
            " 1.2.3", "1.2.3 ", "-1.2.3", "+1.2.3", "1.٢.3", "99999999999999999999.0.0",
            "1.2." + String(repeating: "0", count: 28) + "1",
        ] {
            XCTAssertNil(SemanticVersion(bad), bad)
        }
    }

    func testSemanticVersionOrderingIsNumeric() throws {
        func v(_ s: String) -> SemanticVersion { SemanticVersion(s)! }
        XCTAssertLessThan(v("1.2.9"), v("1.2.10"))
        XCTAssertLessThan(v("1.9.9"), v("1.10.0"))
        XCTAssertLessThan(v("1.99.99"), v("2.0.0"))
        XCTAssertLessThan(v("0.0.1"), v("0.1.0"))
        XCTAssertEqual(v("1.2.3"), v("1.2.3"))
        XCTAssertFalse(v("1.2.3") < v("1.2.3"))
        XCTAssertEqual([v("2.0.0"), v("1.10.0"), v("1.2.0")].sorted().map(\.description), ["1.2.0", "1.10.0", "2.0.0"])
    }

    /// The store's anti-rollback check compares with this order; leading zeros do not matter.
    func testLeadingZerosAndOverlongNumbers() {
        XCTAssertEqual(SemanticVersion("01.02.03"), SemanticVersion("1.2.3"))
        XCTAssertNil(SemanticVersion("1.2.99999999999999999999"))
    }
}
