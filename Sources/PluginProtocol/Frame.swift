/// One protocol message on the wire.
///
/// ```
/// Content-Length: N\r\n
/// [Attachment-Length: M\r\n]
/// \r\n
/// <N bytes of UTF-8 JSON><M bytes of binary attachment>
/// ```
/// The attachment exists only under the `binary` tensor transport.
public struct Frame: Sendable, Equatable {
    public var json: [UInt8]
    public var attachment: [UInt8]

    public init(json: [UInt8], attachment: [UInt8] = []) {
        self.json = json
        self.attachment = attachment
    }

    public var totalBytes: Int { json.count + attachment.count }
}

/// Why a stream of frames could not be read or written. Any of these ends the peer.
public enum FramingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stream ended; `midFrame` when it ended inside a frame.
    case endOfStream(midFrame: Bool)
    case badHeader(String)
    case tooLarge(bytes: Int, limit: Int)
    case timedOut
    case io(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .endOfStream(let mid): mid ? "stream ended inside a frame" : "stream ended"
        case .badHeader(let why): "bad frame header: \(why)"
        case .tooLarge(let bytes, let limit): "frame of \(bytes) bytes is over the \(limit)-byte limit"
        case .timedOut: "timed out"
        case .io(let op, let e): "\(op) failed (errno \(e))"
        }
    }
}
