import Foundation
@testable import PluginHost

// The plugin manifest parser (`PluginManifest.parse`), which reads `plugin.json` before any of
// the plugin runs. Errors must be `PluginError.badManifest`; an accepted manifest must survive
// `encoded()` (what `plugin install` writes) and parse back equal.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let manifest: PluginManifest
    do {
        manifest = try PluginManifest.parse(bytes, source: "plugin.json")
    } catch PluginError.badManifest {
        return 0
    } catch {
        fatalError("PluginManifest.parse threw \(error), not badManifest")
    }
    _ = manifest.expiryDate
    do {
        let again = try PluginManifest.parse(manifest.encoded(), source: "installed plugin.json")
        guard again == manifest else { fatalError("manifest changed in a round trip") }
    } catch {
        fatalError("an accepted manifest does not round-trip: \(error)")
    }
    return 0
}
