import FeatureExtractorSupport
import Foundation
import XCTest

final class JSONStringTests: XCTestCase {
    /// The audit chain hashes this form: it must stay byte for byte what it is.
    func testEscapesAreTheCanonicalOnes() {
        XCTAssertEqual(JSONString.quote("plain"), "\"plain\"")
        XCTAssertEqual(JSONString.quote("a\"b\\c"), #""a\"b\\c""#)
        XCTAssertEqual(JSONString.quote("\n\r\t\u{08}\u{0C}"), #""\n\r\t\b\f""#)
        XCTAssertEqual(JSONString.quote("\u{01}\u{1F}"), #""\u0001\u001f""#)
        XCTAssertEqual(JSONString.quote("é/€"), "\"é/€\"")
    }

    func testEveryStringRoundTripsThroughAJSONParser() throws {
        let samples = ["", "\u{7F}", "\u{2028}", "emoji 🚀", String((0..<0x80).map { Character(UnicodeScalar($0)!) })]
        for sample in samples {
            let decoded = try JSONDecoder().decode([String].self, from: Data("[\(JSONString.quote(sample))]".utf8))
            XCTAssertEqual(decoded, [sample])
        }
    }
}
