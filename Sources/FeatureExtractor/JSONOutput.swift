import Foundation

/// The JSON the commands print (`--json`, `audit export`): sorted keys and ISO 8601 dates,
/// so that output is stable and diffable. Every command's keys are listed in docs/JSON.md.
enum JSONOutput {
    static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    /// Prints `value` as one JSON document on standard output.
    static func print(_ value: some Encodable) throws {
        Swift.print(String(decoding: try encoder().encode(value), as: UTF8.self))
    }
}
