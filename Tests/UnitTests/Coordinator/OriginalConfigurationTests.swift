import Foundation
import PluginProtocol
import TestSupport
import XCTest

@testable import Coordinator

/// The Python original's config files (Tests/Fixtures/OriginalConfigs) load: every key is
/// acted on, mapped, routed to the plugins, or named in one warning.
final class OriginalConfigurationTests: XCTestCase {
    static let fixtures = BuiltProducts.repositoryRoot.appendingPathComponent("Tests/Fixtures/OriginalConfigs").path

    static func fixturePaths() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasSuffix(".json") }.sorted()
            .map { fixtures + "/" + $0 }
    }

    static func raw(_ path: String) throws -> [String: JSONValue] {
        try XCTUnwrap(try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: path))).objectValue)
    }

    func testEveryFixtureLoadsAndEveryKeyIsAccountedFor() throws {
        let paths = try Self.fixturePaths()
        XCTAssertGreaterThanOrEqual(paths.count, 6)
        for path in paths {
            let t = try ConfigurationLoader.load(path)
            let config = try ConfigurationLoader.merge(RunConfiguration(), t.layer, source: path)
            let raw = try Self.raw(path)
            for (key, value) in raw {
                if RunConfiguration.knownKeys.contains(key) {
                    XCTAssertEqual(try ConfigurationLoader.asObject(config)[key], value, "\(path): \(key) acts")
                } else if let ours = OriginalFormat.renamed[key] {
                    XCTAssertTrue(t.renamed.contains(.init(from: key, to: ours)), "\(path): \(key)")
                    XCTAssertEqual(
                        try ConfigurationLoader.asObject(config)[ours], OriginalFormat.translatedValue(value, of: key).value,
                        "\(path): \(key) acts as \(ours)")
                } else if OriginalFormat.pluginKnobs.contains(key) {
                    XCTAssertEqual(config.pluginParameters[key], value, "\(path): \(key) is routed")
                } else {
                    XCTAssertTrue(t.ignored[key] != nil || t.unknown.contains(key), "\(path): \(key) is in the warning")
                }
            }
        }
    }

    func testTheOriginalsValuesAct() throws {
        let path = Self.fixtures + "/phase_3_2_ann_1h_config.json"
        let raw = try Self.raw(path)
        let c = try ConfigurationLoader.merge(RunConfiguration(), try ConfigurationLoader.load(path).layer, source: path)
        XCTAssertEqual(c.windowSize, raw["window_size"]?.intValue)
        XCTAssertEqual(c.epochs, raw["epochs"]?.intValue)
        XCTAssertEqual(c.thresholdError, raw["threshold_error"]?.doubleValue, "1e3 in the file is a number like any other")
        XCTAssertEqual(c.earlyStoppingPatience, raw["early_patience"]?.intValue)
        XCTAssertEqual(c.maxSteps, raw["max_steps_train"]?.intValue)
        XCTAssertEqual(c.saveEncoder, raw["save_encoder"]?.stringValue)
        XCTAssertEqual(c.pluginParameters["activation"], raw["activation"])
        XCTAssertEqual(c.encoderPlugin, "ann")
    }

    func testOneWarningNamesEveryIgnoredKeyAtOnce() throws {
        let path = Self.fixtures + "/phase_3_2_cnn_1h_config.json"
        let t = try ConfigurationLoader.load(path)
        let warning = try XCTUnwrap(t.warning(source: path))
        let raw = try Self.raw(path)
        let dropped = raw.keys.filter {
            !RunConfiguration.knownKeys.contains($0) && OriginalFormat.renamed[$0] == nil
                && !OriginalFormat.pluginKnobs.contains($0)
        }
        XCTAssertGreaterThan(dropped.count, 50)
        XCTAssertTrue(warning.hasPrefix("\(path): \(dropped.count) key(s)"), warning)
        for key in dropped { XCTAssertTrue(warning.contains(key), "\(key) missing from: \(warning)") }
        XCTAssertTrue(warning.contains("use_sliding_windows") && warning.contains("use_sliding_window,"), "both spellings")
    }

    func testUnknownKeysAreWarnedWithTheOriginals() throws {
        let t = try ConfigurationTranslation.translate(
            ["epochs": .number(3), "colour_scheme": .string("dark"), "model_plot_file": .string("x.png")], source: "c.json")
        XCTAssertEqual(t.unknown, ["colour_scheme"])
        let warning = try XCTUnwrap(t.warning(source: "c.json"))
        XCTAssertTrue(warning.contains("colour_scheme") && warning.contains("model_plot_file"), warning)
        XCTAssertEqual(t.layer, ["epochs": .number(3)])
    }

    func testTheOriginalsLossPlotIsDrawnAsSVGUnderOurKey() throws {
        let t = try ConfigurationTranslation.translate(["loss_plot_file": .string("out/loss.PNG")], source: "c.json")
        XCTAssertEqual(t.layer, ["loss_plot": .string("out/loss.svg")])
        XCTAssertEqual(t.renamed, [ConfigurationTranslation.Rename(from: "loss_plot_file", to: "loss_plot")])
        XCTAssertTrue(t.note(source: "c.json")?.contains("drawn as SVG, to 'out/loss.svg'") == true, "\(t.notes)")
        XCTAssertNil(t.warning(source: "c.json"), "mapped, not ignored")
        let svg = try ConfigurationTranslation.translate(["loss_plot_file": .string("loss.svg")], source: "c.json")
        XCTAssertEqual(svg.layer, ["loss_plot": .string("loss.svg")])
        XCTAssertEqual(svg.notes, [])
        var config = RunConfiguration()
        config.lossPlot = "loss.png"
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertTrue("\(error)".contains("'loss_plot'") && "\(error)".contains(".svg"), "\(error)")
        }
    }

    func testTopLevelKnobsAreRoutedAndANamespaceKeepsItsOwn() throws {
        let t = try ConfigurationTranslation.translate(
            [
                "l2_reg": .number(1e-5), "activation": .string("relu"),
                "plugin_parameters": .object(["activation": .string("tanh")]),
            ],
            source: "c.json")
        XCTAssertEqual(t.routed, ["activation", "l2_reg"])
        XCTAssertEqual(
            t.layer["plugin_parameters"], .object(["l2_reg": .number(1e-5), "activation": .string("tanh")]),
            "plugin_parameters given in our format wins over the top-level spelling")
        XCTAssertNotNil(t.note(source: "c.json")?.contains("l2_reg"))
    }

    func testRenamedKeysMapWithANote() throws {
        let t = try ConfigurationTranslation.translate(
            ["early_patience": .number(7), "max_steps_train": .number(500)], source: "c.json")
        XCTAssertEqual(t.layer, ["early_stopping_patience": .number(7), "max_steps": .number(500)])
        let note = try XCTUnwrap(t.note(source: "c.json"))
        XCTAssertTrue(note.contains("early_patience -> early_stopping_patience"), note)
        XCTAssertNil(t.warning(source: "c.json"), "a renamed key is not ignored")
        let both = try ConfigurationTranslation.translate(
            ["early_patience": .number(7), "early_stopping_patience": .number(2)], source: "c")
        XCTAssertEqual(both.layer, ["early_stopping_patience": .number(2)], "our own name wins over the original's")
    }

    func testAMisspeltKeyOfOursIsAnErrorWithASuggestion() {
        for (typo, meant) in [
            ("windw_size", "window_size"), ("epoch", "epochs"), ("early_stoping_patience", "early_stopping_patience"),
        ] {
            XCTAssertThrowsError(try ConfigurationTranslation.translate([typo: .number(1)], source: "c.json")) { error in
                XCTAssertEqual(error as? ConfigurationError, .unknownKey(key: typo, source: "c.json", suggestion: meant))
                XCTAssertTrue("\(error)".contains("did you mean '\(meant)'?"), "\(error)")
            }
        }
    }

    func testTheOriginalsDefaultPluginAndNullsMapToOurs() throws {
        let t = try ConfigurationTranslation.translate(
            ["encoder_plugin": .string("default"), "epochs": .null, "load_encoder": .null], source: "c.json")
        XCTAssertEqual(t.layer, ["encoder_plugin": .string("ann"), "load_encoder": .null])
        XCTAssertEqual(t.notes.count, 2, "\(t.notes)")
    }

    func testAMigratedConfigLoadsCleanlyToTheSameConfiguration() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for path in try Self.fixturePaths() {
            let t = try ConfigurationLoader.load(path)
            try JSONEncoder().encode(JSONValue.object(t.layer)).write(to: URL(fileURLWithPath: dir.file("m.json")))
            let again = try ConfigurationLoader.load(dir.file("m.json"))
            XCTAssertTrue(again.isClean, "\(path): \(again)")
            XCTAssertEqual(
                try ConfigurationLoader.merge(RunConfiguration(), again.layer, source: "m"),
                try ConfigurationLoader.merge(RunConfiguration(), t.layer, source: "o"))
        }
    }
}

/// JSON details the original's files rely on: repeated keys, exponents, whole numbers.
final class ConfigurationJSONDetailsTests: XCTestCase {
    func testARepeatedKeyTakesItsLastValueAsPythonDidWithANote() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try #"{"epochs": 3, "encoder": {"a": "}"}, "epochs" : 4, "window_size": 6.4e1}"#
            .write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        let t = try ConfigurationLoader.load(dir.file("c.json"))
        let c = try ConfigurationLoader.merge(RunConfiguration(), t.layer, source: "c.json")
        XCTAssertEqual(c.epochs, 4)
        XCTAssertEqual(c.windowSize, 64, "6.4e1 is a whole number")
        XCTAssertTrue(t.notes.contains { $0.contains("'epochs' is given more than once") }, "\(t.notes)")
    }

    func testAFractionForAWholeNumberNamesTheKeyAndValue() {
        XCTAssertThrowsError(
            try ConfigurationLoader.merge(
                RunConfiguration(), ["batch_size": .number(12.5), "epochs": .number(2)], source: "c.json")
        ) { error in
            XCTAssertEqual("\(error)", "configuration 'batch_size': c.json: wrong type of value: 12.5")
        }
    }
}
