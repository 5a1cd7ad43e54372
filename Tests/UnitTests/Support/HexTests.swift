import FeatureExtractorSupport
import XCTest

final class HexTests: XCTestCase {
    func testTwoLowercaseDigitsPerByteInOrder() {
        XCTAssertEqual([UInt8]().hex, "")
        XCTAssertEqual([0x00, 0x0F, 0x10, 0xAB, 0xFF].hex, "000f10abff")
        XCTAssertEqual(Array(0...255).map(UInt8.init).hex.count, 512)
    }

    func testMatchesFormatForEveryByte() {
        for byte in UInt8.min...UInt8.max {
            XCTAssertEqual([byte].hex, String(format: "%02x", byte))
        }
    }
}
