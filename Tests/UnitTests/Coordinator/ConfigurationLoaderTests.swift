import PluginProtocol
import TestSupport
import XCTest

@testable import Coordinator

final class ConfigurationLoaderTests: XCTestCase {
    func testLayersApplyInOrderAndNamespacesMergeKeyByKey() throws {
        var c = RunConfiguration()
        c = try ConfigurationLoader.merge(
            c, ["window_size": .number(64), "encoder": .object(["activation": .string("relu")])], source: "file")
        c = try ConfigurationLoader.merge(
            c, ["epochs": .number(9), "encoder": .object(["learning_rate": .number(0.01)])], source: "command line")
        XCTAssertEqual(c.windowSize, 64)
        XCTAssertEqual(c.epochs, 9)
        XCTAssertEqual(c.batchSize, 128, "untouched keys keep their defaults")
        XCTAssertEqual(c.encoder, ["activation": .string("relu"), "learning_rate": .number(0.01)])
        XCTAssertEqual(c.decoder, [:], "encoder parameters never land in the decoder's namespace")
    }

    func testUnknownKeysAreErrorsNamingKeyAndSource() throws {
        XCTAssertThrowsError(try ConfigurationLoader.merge(RunConfiguration(), ["window": .number(3)], source: "cfg.json")) {
            error in
            XCTAssertEqual(error as? ConfigurationError, .unknownKey(key: "window", source: "cfg.json"))
        }
    }

    func testWrongTypesAreErrorsNamingTheKey() throws {
        XCTAssertThrowsError(try ConfigurationLoader.merge(RunConfiguration(), ["epochs": .string("five")], source: "cfg.json")) {
            error in
            guard case .invalid(let key, _)? = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "epochs")
        }
    }

    func testFileMustBeAnObjectOfKnownKeysWithObjectNamespaces() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cases: [(String, String)] = [
            ("[1, 2]", "must hold a JSON object"),
            ("{\"window_size\": 3,", "not valid JSON"),
            ("{\"encoder\": 3}", "'encoder' must be an object"),
            ("{\"quiet\": true}", "unknown configuration key 'quiet'"),
        ]
        for (text, fragment) in cases {
            try text.write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ConfigurationLoader.load(dir.file("c.json"))) { error in
                XCTAssertTrue("\(error)".contains(fragment) && "\(error)".contains("c.json"), "\(error)")
            }
        }
        XCTAssertThrowsError(try ConfigurationLoader.readFile(dir.file("missing.json"))) { error in
            XCTAssertTrue("\(error)".contains("cannot be read"), "\(error)")
        }
    }

    func testSaveThenLoadRoundTripsWithoutSaveConfig() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = RunConfiguration()
        c.windowSize = 48
        c.thresholdError = 1e-4
        c.decoder = ["intermediate_layers": .number(2)]
        c.saveConfig = dir.file("c.json")
        try ConfigurationLoader.save(c, to: dir.file("c.json"))
        let back = try ConfigurationLoader.merge(
            RunConfiguration(), try ConfigurationLoader.readFile(dir.file("c.json")), source: "c.json")
        var expected = c
        expected.saveConfig = nil
        XCTAssertEqual(back, expected)
    }

    func testValidationNamesTheOffendingKey() {
        func key(_ change: (inout RunConfiguration) -> Void) -> String? {
            var c = RunConfiguration()
            change(&c)
            do { try c.validate(); return nil } catch let ConfigurationError.invalid(key, _) { return key } catch { return "?" }
        }
        XCTAssertNil(key { _ in })
        XCTAssertEqual(key { $0.windowSize = 1 }, "window_size")
        XCTAssertEqual(key { $0.initialSize = 200 }, "initial_size")
        XCTAssertEqual(key { $0.batchSize = 0 }, "batch_size")
        XCTAssertEqual(key { $0.thresholdError = -1 }, "threshold_error")
        XCTAssertEqual(key { $0.validationSplit = 1 }, "validation_split")
        XCTAssertEqual(key { $0.normalization = "robust" }, "normalization")
        XCTAssertEqual(key { $0.encoderPlugin = "../x" }, "encoder_plugin")
        XCTAssertEqual(key { $0.loadDecoder = "d.safetensors" }, "load_decoder")
        XCTAssertEqual(key { $0.maxSteps = 10 }, "max_steps")
    }
}
