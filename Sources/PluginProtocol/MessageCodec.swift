import Foundation

/// Turns typed messages into frames and back, under the negotiated tensor transport.
///
/// Decoding failures surface as `RPCError`s with the standard codes, so that
/// both peers answer bad input the same way.
public struct MessageCodec: Sendable {
    public var transport: TensorTransport

    public init(transport: TensorTransport = .base64) {
        self.transport = transport
    }

    public func encode<T: Encodable>(_ message: T) throws -> Frame {
        let encoder = JSONEncoder()
        var writer: AttachmentWriter?
        if transport == .binary {
            let w = AttachmentWriter()
            encoder.userInfo[.attachmentWriter] = w
            writer = w
        }
        let json = try encoder.encode(message)
        return Frame(json: Array(json), attachment: writer?.bytes ?? [])
    }

    /// Reads the envelope and checks its JSON-RPC rules.
    public func decodeHead(_ frame: Frame) throws(RPCError) -> RPCHead {
        try decodeEnvelope(RPCHead.self, frame) { $0 }
    }

    /// A message from a plugin in one pass: the envelope, checked as by `decodeHead`, and a
    /// successful response's result as `R` (or why it does not fit).
    public func decodeIncoming<R: Decodable>(_ frame: Frame, resultType: R.Type) throws(RPCError) -> RPCIncoming<R> {
        try decodeEnvelope(RPCIncoming<R>.self, frame) { $0.head }
    }

    private func decodeEnvelope<T: Decodable>(_ type: T.Type, _ frame: Frame, head: (T) -> RPCHead) throws(RPCError) -> T {
        if transport == .base64 && !frame.attachment.isEmpty {
            throw RPCError(code: RPCErrorCode.invalidRequest, message: "attachment sent under the base64 transport")
        }
        let decoder = JSONDecoder()
        if transport == .binary { decoder.userInfo[.attachmentReader] = AttachmentReader(frame.attachment) }
        let message: T
        do {
            message = try decoder.decode(T.self, from: Data(frame.json))
        } catch let error as DecodingError {
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty {
                throw RPCError(code: RPCErrorCode.parseError, message: "not valid JSON")
            }
            throw RPCError(
                code: RPCErrorCode.invalidRequest, message: "not a JSON-RPC 2.0 message: \(MessageCodec.describe(error))")
        } catch {
            throw RPCError(code: RPCErrorCode.parseError, message: "not valid JSON")
        }
        try head(message).validate()
        return message
    }

    /// Decodes the whole message as `T`; schema violations become `code` (default -32602).
    public func decode<T: Decodable>(_ type: T.Type, from frame: Frame, code: Int = RPCErrorCode.invalidParams) throws(RPCError)
        -> T
    {
        let decoder = JSONDecoder()
        if transport == .binary { decoder.userInfo[.attachmentReader] = AttachmentReader(frame.attachment) }
        do {
            return try decoder.decode(T.self, from: Data(frame.json))
        } catch let error as DecodingError {
            throw RPCError(code: code, message: MessageCodec.describe(error))
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: code, message: "\(error)")
        }
    }

    /// A one-line reason naming the offending field, e.g. `params.input.shape: ...`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(
                of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let at = path(ctx.codingPath + [key])
            return "\(at) is missing"
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)) should be \(type)"
        case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)) should be \(type), got null"
        case .dataCorrupted(let ctx):
            let at = path(ctx.codingPath)
            return at.isEmpty ? ctx.debugDescription : "\(at): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
