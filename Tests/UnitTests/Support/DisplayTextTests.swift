import FeatureExtractorSupport
import XCTest

/// Untrusted text shown on a terminal or in a log: escaped visibly, capped.
final class DisplayTextTests: XCTestCase {
    func testDisplayTextNeutralisesTerminalEscapesAndCapsLength() {
        XCTAssertEqual(DisplayText.escaped("ok\u{1B}[31mred\u{07}\nnext", limit: 100), #"ok\u{1b}[31mred\u{7}\nnext"#)
        XCTAssertEqual(DisplayText.escaped(String(repeating: "a", count: 10), limit: 4), "aaaa…")
        XCTAssertEqual(DisplayText.escaped("bidi\u{202E}txt\u{9B}", limit: 100), #"bidi\u{202e}txt\u{9b}"#)
        XCTAssertEqual(DisplayText.quoted(#"say "hi"\"#), #""say \"hi\"\\""#)
        XCTAssertEqual(DisplayText.lines("one\u{1B}]0;title\u{07}\ntwo"), "one\\u{1b}]0;title\\u{7}\ntwo", "line breaks kept")
    }
}
