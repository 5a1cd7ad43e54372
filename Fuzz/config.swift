import Foundation
import PluginHost
import PluginProtocol

// The config loader as `run --config` and a remote config use it: `parseObject` on the
// untrusted bytes, `merge` over the defaults, then the cross-field checks. Errors must be
// `ConfigurationError`s; a merged configuration must be a fixed point of `asObject` and merging
// again (what a remote config is saved as loads back to the same run).
//
// Built with Sources/Coordinator/Configuration (and the types it needs) compiled in.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let merged: RunConfiguration
    do {
        let layer = try ConfigurationLoader.parseObject(bytes, source: "fuzz.json")
        merged = try ConfigurationLoader.merge(RunConfiguration(), layer, source: "fuzz.json")
        try merged.validate()
    } catch is ConfigurationError {
        return 0
    } catch {
        fatalError("the config loader threw \(type(of: error)), not a ConfigurationError: \(error)")
    }
    do {
        let saved = try JSONEncoder().encode(JSONValue.object(ConfigurationLoader.asObject(merged)))
        let again = try ConfigurationLoader.merge(
            RunConfiguration(), ConfigurationLoader.parseObject(saved, source: "saved.json"), source: "saved.json")
        guard again == merged else { fatalError("a saved configuration loads back different") }
    } catch {
        fatalError("a valid configuration does not load back: \(error)")
    }
    return 0
}
