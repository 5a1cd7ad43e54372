import Glibc

/// Reads frames from a file descriptor.
///
/// The header block and the body are bounded before any allocation, so a peer
/// cannot make the reader hold more than `maxFrameBytes`. With a deadline the
/// descriptor must be non-blocking; without one, plain blocking reads are used.
public final class FrameReader {
    public let fd: Int32
    public let maxFrameBytes: Int
    public static let maxHeaderBytes = 1024
    /// How long a read that finds nothing polls before it sleeps in the kernel. A peer that
    /// answers within it is seen at once instead of after a wake-up (tens of microseconds on
    /// a busy or virtual machine); the cost is that much CPU per wait. 0: sleep at once.
    public var spinNanoseconds: UInt64 = 0
    /// A tighter bound on the JSON part alone, for the next frames: a peer whose answer needs
    /// only a small envelope (its tensors travel outside the JSON) cannot make the reader parse
    /// hundreds of megabytes of JSON, which costs many times that in memory. nil: the frame limit only.
    public var maxJSONBytes: Int?

    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var start = 0, end = 0

    /// Whether bytes read off `fd` wait in the buffer (a poll of `fd` would not show them).
    public var hasBufferedBytes: Bool { end > start }

    public init(fd: Int32, maxFrameBytes: Int) {
        self.fd = fd
        self.maxFrameBytes = maxFrameBytes
    }

    /// The next frame, or `nil` when the stream ended cleanly between frames.
    public func readFrame(deadline: Deadline? = nil) throws -> Frame? {
        guard let (jsonLength, attachmentLength) = try readHeader(deadline: deadline) else { return nil }
        var json = [UInt8](repeating: 0, count: jsonLength)
        try fill(&json, deadline: deadline)
        var attachment = [UInt8](repeating: 0, count: attachmentLength)
        try fill(&attachment, deadline: deadline)
        return Frame(json: json, attachment: attachment)
    }

    private func readHeader(deadline: Deadline?) throws -> (Int, Int)? {
        // Find "\r\n\r\n" within the first maxHeaderBytes.
        var scanned = 0
        while true {
            let available = end - start
            if available >= 4 {
                let found: Int? = buffer.withUnsafeBufferPointer { b in
                    var i = start + max(0, scanned - 3)
                    while i + 3 < end {
                        if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
                        i += 1
                    }
                    return nil
                }
                if let at = found {
                    guard at - start <= Self.maxHeaderBytes else {
                        throw FramingError.badHeader("header longer than \(Self.maxHeaderBytes) bytes")
                    }
                    let header = Array(buffer[start..<at])
                    start = at + 4
                    return try parseHeader(header)
                }
                scanned = available
            }
            if available > Self.maxHeaderBytes {
                throw FramingError.badHeader("no end of header within \(Self.maxHeaderBytes) bytes")
            }
            if try refill(deadline: deadline) == 0 {
                if end - start == 0 { return nil }
                throw FramingError.endOfStream(midFrame: true)
            }
        }
    }

    private func parseHeader(_ bytes: [UInt8]) throws(FramingError) -> (Int, Int) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FramingError.badHeader("not text")
        }
        var contentLength: Int?
        var attachmentLength = 0
        var sawAttachmentLength = false
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else { throw FramingError.badHeader("line without colon") }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
            func number() throws(FramingError) -> Int {
                guard !value.isEmpty, value.count <= 12, value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber),
                    let n = Int(value)
                else {
                    throw FramingError.badHeader("\(name) is not a decimal number")
                }
                return n
            }
            switch name {
            case "content-length":
                guard contentLength == nil else { throw FramingError.badHeader("content-length given twice") }
                contentLength = try number()
            case "attachment-length":
                guard !sawAttachmentLength else { throw FramingError.badHeader("attachment-length given twice") }
                sawAttachmentLength = true
                attachmentLength = try number()
            case "content-type": break
            default: throw FramingError.badHeader("unknown header field \"\(name.prefix(32))\"")
            }
        }
        guard let length = contentLength else { throw FramingError.badHeader("content-length missing") }
        if let maxJSONBytes, length > maxJSONBytes { throw FramingError.tooLarge(bytes: length, limit: maxJSONBytes) }
        let total = length + attachmentLength
        guard total <= maxFrameBytes else { throw FramingError.tooLarge(bytes: total, limit: maxFrameBytes) }
        return (length, attachmentLength)
    }

    /// Fills `out` from the buffer and then straight from the descriptor.
    private func fill(_ out: inout [UInt8], deadline: Deadline?) throws {
        var filled = min(out.count, end - start)
        if filled > 0 {
            out.withUnsafeMutableBufferPointer { dst in
                buffer.withUnsafeBufferPointer { src in
                    _ = memcpy(dst.baseAddress!, src.baseAddress! + start, filled)
                }
            }
            start += filled
        }
        while filled < out.count {
            let n = try out.withUnsafeMutableBytes { p in
                try readSome(p.baseAddress! + filled, p.count - filled, deadline: deadline)
            }
            if n == 0 { throw FramingError.endOfStream(midFrame: true) }
            filled += n
        }
    }

    private func refill(deadline: Deadline?) throws -> Int {
        if start > 0 {
            let count = end - start
            buffer.withUnsafeMutableBufferPointer { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, count) }
            start = 0
            end = count
        }
        let n = try buffer.withUnsafeMutableBytes { p in
            try readSome(p.baseAddress! + end, p.count - end, deadline: deadline)
        }
        end += n
        return n
    }

    /// read(2) honouring the deadline (none: wait as long as it takes, on a non-blocking
    /// descriptor only when spinning); returns 0 at end of stream.
    private func readSome(_ p: UnsafeMutableRawPointer, _ count: Int, deadline: Deadline?) throws -> Int {
        var spun = false
        while true {
            let n = Glibc.read(fd, p, count)
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            guard e == EAGAIN || e == EWOULDBLOCK, deadline != nil || spinNanoseconds > 0 else {
                throw FramingError.io(operation: "read", errno: e)
            }
            if !spun && spinNanoseconds > 0 {
                spun = true
                if FrameReader.spin(until: fd, isReadableWithin: spinNanoseconds) { continue }
            }
            try waitFor(fd, events: Int16(POLLIN), deadline: deadline ?? .never)
        }
    }

    /// Polls without sleeping, yielding the processor between polls, for up to `nanoseconds`.
    private static func spin(until fd: Int32, isReadableWithin nanoseconds: UInt64) -> Bool {
        let end = Deadline.now().nanoseconds &+ nanoseconds
        repeat {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) != 0 { return true }  // readable, hung up or failed: the read says which
            sched_yield()
        } while Deadline.now().nanoseconds < end
        return false
    }
}

/// Writes frames to a file descriptor (blocking, or non-blocking with a deadline).
public final class FrameWriter {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public func write(_ frame: Frame, deadline: Deadline? = nil) throws {
        var header = "Content-Length: \(frame.json.count)\r\n"
        if !frame.attachment.isEmpty { header += "Attachment-Length: \(frame.attachment.count)\r\n" }
        header += "\r\n"
        let head = Array(header.utf8)
        // One writev for the whole frame: the peer wakes once per message, not once per part.
        try head.withUnsafeBytes { h in
            try frame.json.withUnsafeBytes { j in
                try frame.attachment.withUnsafeBytes { a in
                    try writeAll([h, j, a].filter { !$0.isEmpty }, deadline: deadline)
                }
            }
        }
    }

    private func writeAll(_ parts: [UnsafeRawBufferPointer], deadline: Deadline?) throws {
        var index = 0, offset = 0  // the first byte not yet written: parts[index][offset]
        var vectors = [iovec]()
        vectors.reserveCapacity(parts.count)
        while index < parts.count {
            vectors.removeAll(keepingCapacity: true)
            for k in index..<parts.count {
                let skip = k == index ? offset : 0
                vectors.append(
                    iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: parts[k].baseAddress! + skip),
                        iov_len: parts[k].count - skip))
            }
            let n = writev(fd, vectors, Int32(vectors.count))
            if n > 0 {
                var left = n
                while left > 0 {
                    let rest = parts[index].count - offset
                    if left < rest { offset += left; break }
                    left -= rest
                    index += 1
                    offset = 0
                }
                continue
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK), let deadline {
                try waitFor(fd, events: Int16(POLLOUT), deadline: deadline)
                continue
            }
            throw FramingError.io(operation: "write", errno: e)
        }
    }
}

/// Blocks until `fd` is ready for `events` or the deadline passes.
func waitFor(_ fd: Int32, events: Int16, deadline: Deadline) throws {
    while true {
        let ms = deadline.remainingMilliseconds
        if ms == 0 { throw FramingError.timedOut }
        var p = pollfd(fd: fd, events: events, revents: 0)
        let r = poll(&p, 1, ms)
        if r > 0 { return }  // ready, or hung up / error: the next read or write says which
        if r == 0 { continue }  // loop re-checks the deadline
        if errno == EINTR { continue }
        throw FramingError.io(operation: "poll", errno: errno)
    }
}
