import CVectorMath
import FeatureExtractorSupport
import XCTest

@testable import PluginKit

/// The wide kernels (CVectorMath) at every vector width this CPU has: tanh and sigmoid compute
/// exactly `FastMath`'s results, so a model's outputs do not depend on the machine that runs it,
/// and the finiteness checks find every NaN and infinity wherever it lies.
final class VectorMathTests: XCTestCase {
    override func tearDown() {
        // Back to the widest width, as a plugin would use.
        for level in stride(from: 2, through: 0, by: -1) where fe_vector_math_use(Int32(level)) != 0 { break }
    }

    /// Inputs of every magnitude and both signs, the branch point of tanh, the clamps, zeros,
    /// subnormals, infinities and NaN; an odd count, so the tail path runs too.
    private func inputs() -> [Float] {
        var values: [Float] = [0, -0, 0.625, -0.625, Float(0.625).nextDown, 10, 20, 87, -87, 88, -88, 89, -89]
        values += [.leastNonzeroMagnitude, -.leastNonzeroMagnitude, .infinity, -.infinity, .nan, .greatestFiniteMagnitude]
        var bits: UInt32 = 0
        while bits < 0x7FC0_0000 {
            values.append(Float(bitPattern: bits))
            values.append(Float(bitPattern: bits | 0x8000_0000))
            bits += 65_537
        }
        var random = SplitMix64(seed: 7)
        for _ in 0..<20_001 { values.append(Float.random(in: -12...12, using: &random)) }
        return values
    }

    private func check(
        _ name: String, kernel: (UnsafeMutablePointer<Float>, Int) -> Void, scalar: (Float) -> Float,
        range: ClosedRange<Float>? = nil
    ) {
        var x = inputs().filter { range?.contains($0) ?? true }
        if x.count % 16 == 0 { x.removeLast() }  // so that the tail path runs too
        var checkedLevels = 0
        for level: Int32 in 0...2 where fe_vector_math_use(level) != 0 {
            checkedLevels += 1
            var y = x
            y.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, $0.count) }
            var mismatches = 0
            for i in x.indices {
                let expected = scalar(x[i])
                let same = expected.isNaN ? y[i].isNaN : y[i].bitPattern == expected.bitPattern
                if !same {
                    mismatches += 1
                    if mismatches <= 3 { XCTFail("\(name) at level \(level): f(\(x[i])) = \(y[i]), scalar \(expected)") }
                }
            }
            XCTAssertEqual(mismatches, 0, "\(name) at level \(level)")
        }
        XCTAssertGreaterThanOrEqual(checkedLevels, 1)
        XCTAssertEqual(fe_vector_math_use(3), 0, "a width that does not exist is refused")
    }

    func testTanhMatchesTheScalarCodeBitForBitAtEveryWidth() {
        check("tanh", kernel: { fe_tanh_f32($0, $1) }, scalar: FastMath.tanh)
    }

    func testSigmoidMatchesTheScalarCodeBitForBitAtEveryWidth() {
        check("sigmoid", kernel: { fe_sigmoid_f32($0, $1) }, scalar: FastMath.sigmoid)
    }

    func testExpMatchesTheScalarCodeBitForBitAtEveryWidthOnItsRange() {
        check("exp", kernel: { fe_exp_f32($0, $1) }, scalar: FastMath.exp, range: -87...88)
    }

    func testFinitenessChecksFindEveryNonFiniteValueAndCopyExactly() {
        let bad: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001)]
        let fine: [Float] = [0, -0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 1.5]
        for level: Int32 in 0...2 where fe_vector_math_use(level) != 0 {
            for count in [1, 15, 16, 17, 33, 100] {
                var values = (0..<count).map { fine[$0 % fine.count] }
                var copy = [Float](repeating: 7, count: count)
                XCTAssertEqual(fe_all_finite_f32(values, count), 1, "level \(level), count \(count)")
                XCTAssertEqual(values.withUnsafeBytes { fe_copy_finite_f32(&copy, $0.baseAddress!, count) }, 1)
                XCTAssertEqual(copy.map(\.bitPattern), values.map(\.bitPattern), "the copy is exact")
                // One bad value anywhere: in a whole vector, in the tail, first, last.
                for position in Set([0, count / 2, count - 1]) {
                    for b in bad {
                        values[position] = b
                        XCTAssertEqual(fe_all_finite_f32(values, count), 0, "level \(level), \(b) at \(position) of \(count)")
                        XCTAssertEqual(values.withUnsafeBytes { fe_copy_finite_f32(&copy, $0.baseAddress!, count) }, 0)
                        values[position] = fine[position % fine.count]
                    }
                }
            }
            // An unaligned source (a frame attachment's offset is only 4-byte aligned).
            let bytes = [UInt8](repeating: 0, count: 4) + [Float](repeating: 2.5, count: 40).withUnsafeBytes { Array($0) }
            var copy = [Float](repeating: 0, count: 40)
            XCTAssertEqual(bytes.withUnsafeBytes { fe_copy_finite_f32(&copy, $0.baseAddress! + 4, 40) }, 1)
            XCTAssertEqual(copy, [Float](repeating: 2.5, count: 40))
        }
    }

    func testShortAndEmptyArraysAreHandled() {
        for count in [0, 1, 15, 16, 17] {
            var y = [Float](repeating: 0.3, count: count + 1)
            y[count] = 9  // a sentinel past the end must not be touched
            y.withUnsafeMutableBufferPointer { fe_tanh_f32($0.baseAddress!, count) }
            XCTAssertEqual(y[count], 9, "count \(count)")
            for i in 0..<count { XCTAssertEqual(y[i], FastMath.tanh(0.3), "count \(count)") }
        }
    }
}
