import FeatureExtractorSupport
import XCTest

final class IdentifierTests: XCTestCase {
    func testShapeIsALowercaseLetterThenAllowedCharacters() {
        XCTAssertTrue(Identifier.isValid("a", punctuation: ""))
        XCTAssertTrue(Identifier.isValid("ann_2-x", punctuation: "_-"))
        XCTAssertTrue(Identifier.isValid(String(repeating: "a", count: 64), punctuation: ""))
        XCTAssertFalse(Identifier.isValid(String(repeating: "a", count: 65), punctuation: ""), "longer than 64")
        XCTAssertFalse(Identifier.isValid("", punctuation: "_"))
        XCTAssertFalse(Identifier.isValid("1abc", punctuation: ""), "must start with a letter")
        XCTAssertFalse(Identifier.isValid("_abc", punctuation: "_"), "punctuation never starts a name")
        XCTAssertFalse(Identifier.isValid("Ann", punctuation: ""), "uppercase")
    }

    func testOnlyTheGivenPunctuationIsAllowed() {
        XCTAssertTrue(Identifier.isValid("v1.2", punctuation: "."))
        XCTAssertFalse(Identifier.isValid("v1.2", punctuation: "_-"))
        for hostile in ["a/b", "a..", "a b", "a\u{1B}[31m", "aé", "a\0"] {
            XCTAssertFalse(Identifier.isValid(hostile, punctuation: "_-"), hostile.debugDescription)
        }
    }
}
