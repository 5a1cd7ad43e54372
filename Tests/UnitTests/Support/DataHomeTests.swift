import FeatureExtractorSupport
import XCTest

final class DataHomeTests: XCTestCase {
    func testTheRuleInOrder() {
        XCTAssertEqual(
            DataHome.directory(environment: ["FEATURE_EXTRACTOR_HOME": "/h", "XDG_DATA_HOME": "/x", "HOME": "/u"]), "/h")
        XCTAssertEqual(DataHome.directory(environment: ["XDG_DATA_HOME": "/x", "HOME": "/u"]), "/x/feature-extractor")
        XCTAssertEqual(DataHome.directory(environment: ["HOME": "/u"]), "/u/.local/share/feature-extractor")
    }

    /// Empty variables are unset, and a relative XDG_DATA_HOME is ignored (XDG Base Directory spec).
    func testEmptyAndRelativeValuesAreIgnored() {
        XCTAssertEqual(
            DataHome.directory(environment: ["FEATURE_EXTRACTOR_HOME": "", "XDG_DATA_HOME": "data", "HOME": "/u"]),
            "/u/.local/share/feature-extractor")
    }

    func testWithoutHomeTheAccountsHomeIsUsed() {
        let expected = (UserAccount.current?.home ?? "/")
        XCTAssertEqual(
            DataHome.directory(environment: [:]),
            (expected.hasSuffix("/") ? expected : expected + "/") + ".local/share/feature-extractor")
    }
}
