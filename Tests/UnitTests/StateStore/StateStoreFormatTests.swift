import Foundation
import RemoteAuth
import XCTest

@testable import StateStore

final class StateStoreFormatTests: XCTestCase {
    func testTimestampsRoundTripExactly() {
        XCTAssertEqual(Timestamp.text(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.text(Date(timeIntervalSince1970: 1_732_584_960.123)), "2024-11-26T01:36:00.123Z")
        XCTAssertEqual(Timestamp.text(Date(timeIntervalSince1970: 951_782_400)), "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(Timestamp.text(Date(timeIntervalSince1970: -0.001)), "1969-12-31T23:59:59.999Z")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let date = Timestamp.truncated(Date(timeIntervalSince1970: Double.random(in: -1e10...1e10, using: &generator)))
            let text = Timestamp.text(date)
            XCTAssertEqual(Timestamp.date(text: text), date, text)
        }
        for bad in [
            "", "2024-11-26 01:36:00.123Z", "2024-13-26T01:36:00.123Z", "2024-11-26T01:36:00.123", "2024-11-26T24:00:00.000Z",
        ] {
            XCTAssertNil(Timestamp.date(text: bad), bad)
        }
    }

    func testCanonicalJSONIsSortedAndParsesBack() throws {
        let object = ["b": "2", "a": "tab\there \"q\" \\ \u{01} é 😀", "B": "upper", "": "empty"]
        let text = CanonicalJSON.encode(object)
        XCTAssertEqual(text, #"{"":"empty","B":"upper","a":"tab\there \"q\" \\ \u0001 é 😀","b":"2"}"#)
        XCTAssertEqual(try JSONDecoder().decode([String: String].self, from: Data(text.utf8)), object)
        XCTAssertEqual(CanonicalJSON.encode([:]), "{}")
        XCTAssertEqual(CanonicalJSON.encode(["x", "y\""]), #"["x","y\""]"#)
    }

    /// Moving text between fields changes the hash: the length prefixes make the encoding unambiguous.
    func testChainHashIsUnambiguous() {
        let base = AuditChain.Fields(
            previousHash: AuditChain.genesis, id: 1, timestamp: "t", actor: "ab", action: "c",
            target: "", outcome: "success", detailsDigest: "d")
        var shifted = base
        shifted.actor = "a"
        shifted.action = "bc"
        var renumbered = base
        renumbered.id = 11
        renumbered.timestamp = ""
        XCTAssertNotEqual(AuditChain.hash(base), AuditChain.hash(shifted))
        XCTAssertNotEqual(AuditChain.hash(base), AuditChain.hash(renumbered))
        XCTAssertEqual(AuditChain.hash(base), AuditChain.hash(base))
    }

    func testTokenText() {
        let token = APITokenText.random()
        XCTAssertEqual(token.secret.count, 43)
        XCTAssertEqual(APITokenText(parsing: token.text)?.secret, token.secret)
        XCTAssertNil(APITokenText(parsing: token.text.uppercased()))
        XCTAssertNil(APITokenText(parsing: token.text + "x"))
        XCTAssertTrue(APITokenText.appears(in: "Authorization: Bearer \(token.text)."))
        XCTAssertFalse(APITokenText.appears(in: "fe_\(token.id)"))
        XCTAssertNotEqual(APITokenText.random().secret, token.secret)
    }

    func testPasswordHashFormat() throws {
        XCTAssertFalse(PasswordHash.verify("anything", against: PasswordHash.unmatchable))
        for malformed in ["", "pbkdf2-sha512$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "md5$x$y$z", "plain text"] {
            XCTAssertFalse(PasswordHash.verify("plain text", against: malformed), malformed)
        }
    }
}
