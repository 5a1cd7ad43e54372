import Foundation
import XCTest

@testable import PluginProtocol

/// The `fit` capability: declared in `initialize`, optional for old plugins, its statistics checked.
final class FitMethodTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    private func result(capabilities: [String]?) -> InitializeResult {
        InitializeResult(
            name: "pca", version: "1.0.0", role: .encoder, protocol: ProtocolRange(min: 1, max: 1), transport: .base64,
            parameters: [:], debugVariables: [], capabilities: capabilities)
    }

    func testAnInitializeResultWithoutCapabilitiesDeclaresNone() throws {
        // What a plugin written before capabilities existed answers.
        let json =
            #"{"name":"ann","version":"1.0.0","role":"encoder","protocol":{"min":1,"max":1},"transport":"base64","parameters":{},"debug_variables":[]}"#
        let old = try JSONDecoder().decode(InitializeResult.self, from: Data(json.utf8))
        XCTAssertNil(old.capabilities)
        XCTAssertFalse(old.supports(PluginCapability.fit))
        XCTAssertNoThrow(try old.validate())
        let encoded = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        XCTAssertFalse(encoded.contains("capabilities"), "absent stays absent on the wire")

        let new = result(capabilities: ["fit", "some_future_thing"])
        XCTAssertTrue(new.supports(PluginCapability.fit))
        XCTAssertNoThrow(try new.validate(), "unknown capability names are allowed")
        let roundTrip = try JSONDecoder().decode(InitializeResult.self, from: JSONEncoder().encode(new))
        XCTAssertEqual(roundTrip.capabilities, ["fit", "some_future_thing"])
    }

    func testCapabilitiesAreBoundedAndNamed() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["capabilit"]) {
            try self.result(capabilities: (0..<33).map { "c\($0)" }).validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["capability"]) {
            try self.result(capabilities: ["Fit"]).validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["capability"]) {
            try self.result(capabilities: ["\u{1b}[31m"]).validate()
        }
    }

    private func params(window: Int, meanCount: Int? = nil, covarianceSide: Int? = nil, count: Int = 10, variance: Float = 1)
        -> FitParams
    {
        let m = meanCount ?? window, c = covarianceSide ?? window
        var cov = [Float](repeating: 0, count: c * c)
        for i in 0..<c { cov[i * c + i] = variance }
        return FitParams(
            count: count, mean: Tensor(shape: [m], values: [Float](repeating: 0.5, count: m)),
            covariance: Tensor(shape: [c, c], values: cov))
    }

    func testFitStatisticsAreCheckedAgainstTheWindow() {
        XCTAssertNoThrow(try params(window: 8).validate(windowSize: 8))
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["mean"]) {
            try self.params(window: 8, meanCount: 7).validate(windowSize: 8)
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["covariance"]) {
            try self.params(window: 8, covarianceSide: 9).validate(windowSize: 8)
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["count"]) {
            try self.params(window: 8, count: 0).validate(windowSize: 8)
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["negative variance"]) {
            try self.params(window: 4, variance: -1).validate(windowSize: 4)
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["4096"]) {
            try self.params(window: 2).validate(windowSize: 5000)
        }
    }
}
