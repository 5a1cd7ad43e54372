import Foundation
import PluginHost
import TestSupport
import XCTest

@testable import Coordinator

/// What the run would silently ignore is said before it runs.
final class ConfigurationWarningsTests: XCTestCase {
    func testSearchKnobsWithoutAThresholdAreWarnedOnlyWhenSet() {
        let c = RunConfiguration()
        XCTAssertEqual(ConfigurationWarnings.check(c, explicitKeys: []), [], "defaults never warn")
        let w = ConfigurationWarnings.check(c, explicitKeys: ["incremental_search"])
        XCTAssertEqual(w.count, 1)
        XCTAssertTrue(w[0].hasPrefix("incremental_search: no effect without threshold_error"), w[0])
        var searching = c
        searching.thresholdError = 1e-3
        XCTAssertEqual(ConfigurationWarnings.check(searching, explicitKeys: ["incremental_search", "threshold_error"]), [])
    }

    func testTrainingKeysWithALoadedEncoderAreWarned() {
        var c = RunConfiguration()
        c.loadEncoder = "enc.safetensors"
        let w = ConfigurationWarnings.check(c, explicitKeys: ["epochs", "load_encoder", "window_size"])
        XCTAssertEqual(w.count, 1)
        XCTAssertTrue(w[0].hasPrefix("epochs: ignored, because load_encoder"), w[0])
    }

    func testAKerasNameForASavedModelIsWarned() {
        var c = RunConfiguration()
        c.saveDecoder = "out/decoder_model.H5"
        c.saveEncoder = "out/encoder.safetensors"
        let w = ConfigurationWarnings.check(c, explicitKeys: [])
        XCTAssertEqual(w.count, 1)
        XCTAssertTrue(w[0].hasPrefix("save_decoder 'out/decoder_model.H5': written as signed safetensors"), w[0])
    }

    func testAKerasModelFileIsRefusedAsAFormatBeforeItsSignature() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let hdf5: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]
        try Data(hdf5).write(to: URL(fileURLWithPath: dir.file("model.bin")))
        XCTAssertThrowsError(try SignedModel.read(path: dir.file("model.bin"), trust: EmptyTrust())) { error in
            XCTAssertTrue("\(error)".contains("format not supported (Keras .h5/.keras files are not read"), "\(error)")
        }
    }
}

/// Trusts nobody: the Keras check must come before any signature is looked at.
private struct EmptyTrust: TrustStore {
    func trustedKey(id: String) throws -> TrustedPublicKey? { nil }
    func highestVersion(plugin: String, keyID: String) throws -> String? { nil }
    func recordVersion(plugin: String, keyID: String, version: String) throws {}
}
