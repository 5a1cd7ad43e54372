import FeatureExtractorSupport
import XCTest

final class SplitMix64Tests: XCTestCase {
    func testSameSeedSameStreamOtherSeedOtherStream() {
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9), c = SplitMix64(seed: 10)
        let xs = (0..<4).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<4).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<4).map { _ in c.next() })
    }

    /// The published first outputs for seed 0 pin the algorithm: shuffles, conformance probes
    /// and PluginKit's weight seeds all depend on this exact stream.
    func testMatchesTheReferenceOutputs() {
        var zero = SplitMix64(seed: 0)
        XCTAssertEqual(zero.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(zero.next(), 0x6E78_9E6A_A1B9_65F4)
    }
}
