import FoundationEssentials

/// Turns typed messages into frames and back, under the negotiated tensor transport.
///
/// Decoding failures surface as `RPCError`s with the standard codes, so that
/// both peers answer bad input the same way.
public struct MessageCodec: Sendable {
    public var transport: TensorTransport
    /// Under `shared_memory`: the region, and which end of it this codec writes.
    private let shared: (region: SharedTensorRegion, side: SharedTensorRegion.Side)?
    /// Which of this side's two slots the next message with shared tensors uses.
    private var slotParity = 0

    public init(transport: TensorTransport = .base64) {
        self.transport = transport
        self.shared = nil
    }

    /// The `shared_memory` transport over `region`, seen from `side`.
    public init(sharedMemory region: SharedTensorRegion, side: SharedTensorRegion.Side) {
        self.transport = .sharedMemory
        self.shared = (region, side)
    }

    /// A request's frame; `forward`, `backward` and `step` are written without Codable.
    public mutating func encodeRequest<P: Codable & Sendable>(id: Int, method: String, params: P) throws -> Frame {
        if transport != .base64, let fast = params as? any HotPathEncodable, method.utf8.allSatisfy(JSONBytes.isPlain) {
            var json = JSONBytes()
            json.append(#"{"jsonrpc":"2.0","id":"#)
            json.append(id)
            json.append(#","method":""#)
            json.bytes.append(contentsOf: method.utf8)
            json.append(#"","params":"#)
            return finish(&json, fast)
        }
        return try encode(RPCRequest(id: .number(id), method: method, params: params))
    }

    /// A successful response's frame; the hot-path results are written without Codable.
    public mutating func encodeResult<R: Codable & Sendable>(id: RPCID, result: R) throws -> Frame {
        if transport != .base64, case .number(let n) = id, let fast = result as? any HotPathEncodable {
            var json = JSONBytes()
            json.append(#"{"jsonrpc":"2.0","id":"#)
            json.append(n)
            json.append(#","result":"#)
            return finish(&json, fast)
        }
        return try encode(RPCResult(id: id, result: result))
    }

    private mutating func finish(_ json: inout JSONBytes, _ body: any HotPathEncodable) -> Frame {
        var tensors = TensorPlacer(slot: shared.map { $0.region.writableSlot(of: $0.side, parity: slotParity) })
        body.write(&json, &tensors)
        json.append("}")
        if tensors.wroteSlot { slotParity ^= 1 }
        return Frame(json: json.bytes, attachment: tensors.attachment)
    }

    /// A plugin's reading of a `forward`, `backward` or `step` request in the plain form the
    /// coordinator writes; nil for anything else, which then takes the general path.
    package func decodeHotPathRequest(_ frame: Frame) -> HotPathRequest? {
        guard transport != .base64 else { return nil }
        let source = tensorSource(frame)
        var method: UnsafeRawBufferPointer?
        var request: ((RPCID) -> HotPathRequest)?
        let id = Self.plainEnvelope(frame) { c, key in
            if JSONCursor.equal(key, "method") {
                guard method == nil, let m = c.string() else { return false }
                method = m
                return true
            }
            // Params are read by their method's schema, so the method must come first.
            guard JSONCursor.equal(key, "params"), request == nil, let method else { return false }
            if JSONCursor.equal(method, "forward"), let p = ForwardParams.read(&c, source) {
                request = { .forward($0, p) }
            } else if JSONCursor.equal(method, "backward"), let p = BackwardParams.read(&c, source) {
                request = { .backward($0, p) }
            } else if JSONCursor.equal(method, "step"), Empty.read(&c, source) != nil {
                request = { .step($0) }
            }
            return request != nil
        }
        guard let id, let request else { return nil }
        return request(.number(id))
    }

    /// A coordinator's reading of a successful hot-path response in its plain form.
    func decodeHotPathResult<R>(_ frame: Frame, as type: any HotPathDecodable.Type) -> RPCIncoming<R>? {
        let source = tensorSource(frame)
        var result: R?
        let id = Self.plainEnvelope(frame) { c, key in
            guard JSONCursor.equal(key, "result"), result == nil, let value = type.read(&c, source) as? R else { return false }
            result = value
            return true
        }
        guard let id, let result else { return nil }
        return RPCIncoming(
            head: RPCHead(jsonrpc: "2.0", id: .number(id), method: nil, error: nil, hasResult: true), result: result)
    }

    /// Walks a message's envelope in its plain form: `jsonrpc` "2.0" and an integer `id`, each
    /// once; every other member goes to `member`, which reads its value or returns false.
    /// Returns the id, or nil when the message is not in that form (or has trailing bytes).
    private static func plainEnvelope(
        _ frame: Frame, member: (inout JSONCursor, UnsafeRawBufferPointer) -> Bool
    ) -> Int? {
        frame.json.withUnsafeBytes { bytes -> Int? in
            var c = JSONCursor(bytes)
            var version = false
            var id: Int?
            let plain = c.object { c, key in
                if JSONCursor.equal(key, "jsonrpc") {
                    guard !version, c.string(is: "2.0") else { return false }
                    version = true
                    return true
                }
                if JSONCursor.equal(key, "id") {
                    guard id == nil, let n = c.integer() else { return false }
                    id = n
                    return true
                }
                return member(&c, key)
            }
            guard plain, version, c.atEnd() else { return nil }
            return id
        }
    }

    private func tensorSource(_ frame: Frame) -> TensorSource {
        TensorSource(attachment: frame.attachment, shared: shared.map { $0.region.readableArea(of: $0.side) })
    }

    private func attachmentReader(_ frame: Frame) -> AttachmentReader {
        AttachmentReader(frame.attachment, shared: shared.map { $0.region.readableArea(of: $0.side) })
    }

    /// Any message through Codable; under `shared_memory` its tensors travel in the attachment.
    public func encode<T: Encodable>(_ message: T) throws -> Frame {
        let encoder = JSONEncoder()
        var writer: AttachmentWriter?
        if transport != .base64 {
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
        if transport != .base64, let fast = R.self as? any HotPathDecodable.Type,
            let incoming: RPCIncoming<R> = decodeHotPathResult(frame, as: fast)
        {
            return incoming
        }
        return try decodeEnvelope(RPCIncoming<R>.self, frame) { $0.head }
    }

    private func decodeEnvelope<T: Decodable>(_ type: T.Type, _ frame: Frame, head: (T) -> RPCHead) throws(RPCError) -> T {
        if transport == .base64 && !frame.attachment.isEmpty {
            throw RPCError(code: RPCErrorCode.invalidRequest, message: "attachment sent under the base64 transport")
        }
        let decoder = JSONDecoder()
        if transport != .base64 { decoder.userInfo[.attachmentReader] = attachmentReader(frame) }
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
        if transport != .base64 { decoder.userInfo[.attachmentReader] = attachmentReader(frame) }
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
            // Indices follow their key without a dot: `params.input.shape[1]`.
            p.enumerated().map { i, key in
                key.intValue.map { "[\($0)]" } ?? (i == 0 ? key.stringValue : "." + key.stringValue)
            }.joined()
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
