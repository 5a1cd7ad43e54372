import FeatureExtractorSupport

/// JSON-RPC 2.0 envelopes.
///
/// A plugin decodes a request in two passes: a small head (`RPCHead`) says what the
/// message is, then the typed params are decoded with the schema the method implies. The
/// host, which knows the result type it awaits, decodes a response in one (`RPCIncoming`).
/// A peer never acts on a message whose head or body failed to decode.

/// A request id. The host only issues integers; strings are accepted for
/// conformance with JSON-RPC.
public enum RPCID: Hashable, Sendable, Codable, CustomStringConvertible {
    case number(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) {
            self = .number(i)
        } else if let s = try? c.decode(String.self), s.utf8.count <= 128 {
            self = .string(s)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "id must be an integer or a short string")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let i): String(i)
        case .string(let s): JSONString.quote(s)
        }
    }
}

/// The standard and application error codes of the protocol.
public enum RPCErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// The method is valid but not in this state (e.g. `forward` before `configure`).
    public static let wrongState = -32000
    /// `import_state` got tensors whose names or shapes do not fit the model.
    public static let stateMismatch = -32001
    /// The computation produced NaN or infinity.
    public static let numericalError = -32002
}

/// A JSON-RPC error object; also thrown by plugin code to answer with an error.
public struct RPCError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static func invalidParams(_ message: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidParams, message: message)
    }
    public static func wrongState(_ message: String) -> RPCError { RPCError(code: RPCErrorCode.wrongState, message: message) }

    public var description: String { "JSON-RPC error \(code): \(message)" }
}

/// What every message has: enough to route it before its body is decoded.
public struct RPCHead: Decodable, Sendable {
    public var jsonrpc: String
    public var id: RPCID?
    public var method: String?
    public var error: RPCError?
    /// Set when the message has a `result` member (its value is decoded later).
    public var hasResult: Bool

    enum CodingKeys: String, CodingKey { case jsonrpc, id, method, error, result, params }

    init(jsonrpc: String, id: RPCID?, method: String?, error: RPCError?, hasResult: Bool) {
        self.jsonrpc = jsonrpc
        self.id = id
        self.method = method
        self.error = error
        self.hasResult = hasResult
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jsonrpc = try c.decode(String.self, forKey: .jsonrpc)
        id = try c.decodeIfPresent(RPCID.self, forKey: .id)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        error = try c.decodeIfPresent(RPCError.self, forKey: .error)
        hasResult = c.contains(.result)
    }

    /// Checks the envelope rules of JSON-RPC 2.0 and of this protocol.
    public func validate() throws(RPCError) {
        guard jsonrpc == "2.0" else { throw RPCError(code: RPCErrorCode.invalidRequest, message: "jsonrpc must be \"2.0\"") }
        if let method {
            guard !method.isEmpty, method.utf8.count <= 64 else {
                throw RPCError(code: RPCErrorCode.invalidRequest, message: "method must be a short non-empty string")
            }
            guard error == nil, !hasResult else {
                throw RPCError(code: RPCErrorCode.invalidRequest, message: "a request cannot carry result or error")
            }
        } else {
            guard (error == nil) != (!hasResult) else {
                throw RPCError(code: RPCErrorCode.invalidRequest, message: "a response carries exactly one of result and error")
            }
        }
    }
}

/// A message from a plugin decoded in one pass: its envelope and, for a successful response,
/// the typed result. Why a result does not fit `Result` is kept in `resultProblem`, so the
/// caller still routes the message by its head first (the host reads every response this way:
/// decoding is a large part of its per-call cost).
public struct RPCIncoming<Result: Decodable>: Decodable {
    public var head: RPCHead
    public var result: Result?
    /// Why the result could not be decoded, naming the field (`result.output.shape: ...`).
    public var resultProblem: String?

    init(head: RPCHead, result: Result) {
        self.head = head
        self.result = result
    }

    public init(from decoder: any Decoder) throws {
        head = try RPCHead(from: decoder)
        guard head.method == nil, head.error == nil, head.hasResult else { return }
        let c = try decoder.container(keyedBy: RPCHead.CodingKeys.self)
        do {
            result = try c.decode(Result.self, forKey: .result)
        } catch let error as DecodingError {
            resultProblem = MessageCodec.describe(error)
        } catch let error as RPCError {
            resultProblem = error.message
        } catch {
            resultProblem = "\(error)"
        }
    }
}

/// A request (or, without id, a notification) with typed params.
public struct RPCRequest<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID?
    public var method: String
    public var params: Params

    public init(id: RPCID?, method: String, params: Params) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A successful response with a typed result.
public struct RPCResult<Result: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID
    public var result: Result

    public init(id: RPCID, result: Result) {
        self.id = id
        self.result = result
    }
}

/// An error response. `id` is null when the request's id could not be read.
public struct RPCErrorResponse: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID?
    public var error: RPCError

    public init(id: RPCID?, error: RPCError) {
        self.id = id
        self.error = error
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jsonrpc, forKey: .jsonrpc)
        if let id { try c.encode(id, forKey: .id) } else { try c.encodeNil(forKey: .id) }
        try c.encode(error, forKey: .error)
    }
}

/// Methods with no parameters or no result use this empty object.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}
