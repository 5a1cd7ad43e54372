import Foundation
import PluginProtocol

extension ConformanceChecker {
    /// `malformed frames`: well-framed requests the plugin must refuse without dying, each
    /// followed by a valid `forward` that must still be answered: invalid JSON (`-32700`,
    /// id null), a tensor whose bytes disagree with its shape, a NaN in a tensor, an input
    /// of the wrong shape (`-32602`) and an unknown method (`-32601`).
    func checkMalformedFrames() throws -> String {
        let s = try start()
        defer { s.stop() }
        let n = shapes.inputSize
        let good = input(batch: 2)
        func base64(_ values: [Float]) -> String { values.withUnsafeBytes { Data($0) }.base64EncodedString() }
        func forwardJSON(_ tensor: String) -> (Int) -> String {
            { id in #"{"jsonrpc":"2.0","id":\#(id),"method":"forward","params":{"input":\#(tensor),"training":false}}"# }
        }
        func stillAnswers(after what: String) throws {
            if let status = s.exitStatus { throw ConformanceFailure("after \(what) the plugin \(status)") }
            do {
                _ = try forward(s, good)
            } catch {
                throw ConformanceFailure("after \(what), a valid forward failed: \(error)")
            }
        }

        var refused: [String] = []
        func probe(
            _ what: String, code: Int, idUnreadable: Bool = false, attachment: [UInt8] = [], json: @escaping (Int) -> String
        ) throws {
            try Self.expectError(
                try s.requestRaw("forward", idUnreadable: idUnreadable, attachment: attachment, json: json), code: code, what)
            try stillAnswers(after: what)
            refused.append(what)
        }

        try probe("a frame whose JSON is invalid", code: RPCErrorCode.parseError, idUnreadable: true) { id in
            #"{"jsonrpc":"2.0","id":\#(id),"method":"forward","params":{"input":{"dtype":"f32","#
        }
        let short = #"{"dtype":"f32","shape":[2,\#(n)],"data":"\#(base64(Array(good.values.dropLast())))"}"#
        try probe(
            "a tensor of shape [2, \(n)] with \(4 * (2 * n - 1)) bytes", code: RPCErrorCode.invalidParams,
            json: forwardJSON(short))
        if s.codec.transport == .binary {
            let bytes = Array(good.values.dropLast()).withUnsafeBytes { Array($0) }
            let offset = #"{"dtype":"f32","shape":[2,\#(n)],"offset":0}"#
            try probe(
                "a binary tensor of shape [2, \(n)] with a \(bytes.count)-byte attachment", code: RPCErrorCode.invalidParams,
                attachment: bytes, json: forwardJSON(offset))
        }
        var withNaN = good.values
        withNaN[1] = .nan
        let nan = #"{"dtype":"f32","shape":[2,\#(n)],"data":"\#(base64(withNaN))"}"#
        try probe("a tensor holding NaN", code: RPCErrorCode.invalidParams, json: forwardJSON(nan))
        let wrongShape = #"{"dtype":"f32","shape":[2,\#(n + 1)],"data":"\#(base64(good.values + [0.5, 0.5]))"}"#
        try probe(
            "an input of shape [2, \(n + 1)] (configured for [\(n)])", code: RPCErrorCode.invalidParams,
            json: forwardJSON(wrongShape))
        try probe("an unknown method", code: RPCErrorCode.methodNotFound) { id in
            #"{"jsonrpc":"2.0","id":\#(id),"method":"no_such_method","params":{}}"#
        }
        return "refused \(refused.joined(separator: "; ")), and answered the next request each time"
    }
}
