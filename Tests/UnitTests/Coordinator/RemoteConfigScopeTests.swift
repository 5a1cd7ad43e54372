import Coordinator
import PluginProtocol
import XCTest

/// What a remote config may set is an allow-list: a key added to the configuration later stays
/// local until it is listed, and no listed key names a path, a URL, a sandbox or trust setting.
final class RemoteConfigScopeTests: XCTestCase {
    func testEveryKeyOutsideTheAllowListIsRefusedByName() throws {
        XCTAssertTrue(RemoteConfigScope.allowedKeys.isSubset(of: RunConfiguration.knownKeys))
        let local = RunConfiguration.knownKeys.subtracting(RemoteConfigScope.allowedKeys)
        for key in [
            "input_file", "validation_file", "output_file", "save_encoder", "save_decoder", "load_encoder", "load_decoder",
            "evaluate_encoder", "evaluate_decoder", "save_log", "save_config", "loss_plot", "plugin_limits",
            "allow_weaker_sandbox", "allow_downgrade", "max_run_seconds", "quiet_mode",
        ] {
            XCTAssertTrue(local.contains(key), "\(key) stays local")
        }
        for key in local.sorted() {
            XCTAssertThrowsError(try RemoteConfigScope.check([key: .string("x"), "epochs": .number(1)], source: "https://h/c")) {
                error in
                guard case ConfigurationError.invalid(let named, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(named, key)
                XCTAssertTrue(reason.contains("https://h/c") && reason.contains("may not set it"), reason)
            }
        }
        XCTAssertNoThrow(
            try RemoteConfigScope.check(
                ["epochs": .number(2), "encoder": .object(["activation": .string("relu")])], source: "https://h/c"))
    }

    func testASavedConfigCarriesOnlyWhatALoadAccepts() throws {
        var config = RunConfiguration()
        config.outputFile = "/home/me/out.csv"
        config.saveEncoder = "https://h/v1/models/e/versions/1"
        config.allowDowngrade = true
        config.epochs = 7
        let shared = RemoteConfigScope.shareable(try ConfigurationLoader.asObject(config))
        XCTAssertEqual(Set(shared.keys), RemoteConfigScope.allowedKeys)
        XCTAssertEqual(shared["epochs"], .number(7))
        XCTAssertNoThrow(try RemoteConfigScope.check(shared, source: "s"))
    }
}
