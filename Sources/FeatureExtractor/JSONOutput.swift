import Foundation

/// The JSON the commands print (`--json`, `audit export`): sorted keys and ISO 8601 dates,
/// so that output is stable and diffable.
enum JSONOutput {
    static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }
}
