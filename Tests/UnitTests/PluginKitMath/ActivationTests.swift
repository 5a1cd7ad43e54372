import Foundation
import XCTest

@testable import PluginKit

final class ActivationTests: XCTestCase {
    private func applied(_ activation: Activation, _ values: [Float]) -> [Float] {
        var m = Matrix(rows: 1, cols: values.count, values: values)
        activation.apply(&m)
        return m.values
    }

    func testApplyKnownValues() {
        let z: [Float] = [-2, -0.5, 0, 0.5, 3]
        XCTAssertEqual(applied(.linear, z), z)
        XCTAssertEqual(applied(.relu, z), [0, 0, 0, 0.5, 3])
        let t = applied(.tanh, z)
        let s = applied(.sigmoid, z)
        for i in z.indices {
            XCTAssertEqual(Double(t[i]), Foundation.tanh(Double(z[i])), accuracy: 1e-6)
            XCTAssertEqual(Double(s[i]), 1 / (1 + Foundation.exp(-Double(z[i]))), accuracy: 1e-6)
        }
    }

    func testSaturationWithoutNaN() {
        let s = applied(.sigmoid, [-1000, -100, 100, 1000])
        XCTAssertTrue(s[0] >= 0 && s[0] < 1e-37 && s[1] >= 0 && s[1] < 1e-37, "\(s)")
        XCTAssertEqual(s[2], 1)
        XCTAssertEqual(s[3], 1)
        XCTAssertEqual(applied(.tanh, [-1000, -20, 20, 1000]), [-1, -1, 1, 1])
    }

    /// backward(output: f(z)) must multiply by f'(z); checked against a central
    /// difference of f itself (z kept away from relu's kink).
    func testBackwardMultipliesByDerivative() {
        let z: [Float] = [-1.7, -0.3, 0.2, 0.9, 2.5]
        let incoming: [Float] = [0.5, -1.25, 2, 1, -0.75]
        let h: Float = 1e-2
        for activation in Activation.allCases {
            var y = Matrix(rows: 1, cols: z.count, values: z)
            activation.apply(&y)
            var grad = Matrix(rows: 1, cols: z.count, values: incoming)
            activation.backward(output: y, gradient: &grad)
            let plus = applied(activation, z.map { $0 + h })
            let minus = applied(activation, z.map { $0 - h })
            for i in z.indices {
                let derivative = (Double(plus[i]) - Double(minus[i])) / Double(2 * h)
                XCTAssertEqual(
                    Double(grad.values[i]), Double(incoming[i]) * derivative, accuracy: 2e-3,
                    "\(activation) at z = \(z[i])")
            }
        }
    }

    func testBackwardShapeTwoByThree() {
        // Element-wise: layout must not matter, but every element must be touched.
        let y = Matrix(rows: 2, cols: 3, values: [0.5, 0, -0.5, 0.25, 0.9, -0.9])
        var grad = Matrix(rows: 2, cols: 3, repeating: 2)
        Activation.tanh.backward(output: y, gradient: &grad)
        XCTAssertEqual(grad.values, y.values.map { 2 * (1 - $0 * $0) })
    }

    func testRawValuesAndCodable() throws {
        XCTAssertEqual(Activation.allCases.map(\.rawValue), ["linear", "tanh", "relu", "sigmoid"])
        let data = try JSONEncoder().encode(Activation.allCases)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["linear","tanh","relu","sigmoid"]"#)
        XCTAssertEqual(try JSONDecoder().decode([Activation].self, from: data), Activation.allCases)
    }
}
