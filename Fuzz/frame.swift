import Glibc
import PluginProtocol

// The frame reader on a plugin's stdout, as `PluginConnection.receive` drives it: the input is
// the byte stream a plugin writes. Every frame read must survive write-then-read unchanged,
// and no more frames can come out than the stream has header blocks.

/// A pipe holding `bytes`, its write end closed: the stream ends where the input does.
private func stream(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fatalError("pipe: errno \(errno)") }
    var written = 0
    while written < bytes.count {
        let n = write(fds[1], bytes.baseAddress! + written, bytes.count - written)
        guard n > 0 else { fatalError("write: errno \(errno)") }
        written += n
    }
    close(fds[1])
    return fds[0]
}

/// Writes one frame with `FrameWriter` and reads it back with a fresh reader.
private func roundTrip(_ frame: Frame, maxFrameBytes: Int) -> Frame? {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fatalError("pipe: errno \(errno)") }
    defer { close(fds[0]) }
    do {
        try FrameWriter(fd: fds[1]).write(frame)
    } catch {
        fatalError("writing a frame that was just read failed: \(error)")
    }
    close(fds[1])
    do {
        return try FrameReader(fd: fds[0], maxFrameBytes: maxFrameBytes).readFrame()
    } catch {
        fatalError("reading back a written frame failed: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // A pipe holds 64 KiB: larger inputs would block the writer (libFuzzer's default max_len is 4096).
    guard size <= 60_000 else { return 0 }
    // A small frame limit, so that the limit's checks are reachable from small inputs.
    let maxFrameBytes = 2048
    let fd = stream(UnsafeBufferPointer(start: data, count: size))
    defer { close(fd) }
    let reader = FrameReader(fd: fd, maxFrameBytes: maxFrameBytes)
    var frames = 0
    while true {
        let frame: Frame?
        do {
            frame = try reader.readFrame()
        } catch is FramingError {
            break
        } catch {
            fatalError("readFrame threw \(type(of: error)), not a FramingError")
        }
        guard let frame else { break }
        frames += 1
        // Each frame needs a header of at least "Content-Length:0\r\n\r\n" (19 bytes).
        guard frames * 19 <= size else { fatalError("\(frames) frames from \(size) bytes") }
        guard frame.totalBytes <= maxFrameBytes else { fatalError("frame of \(frame.totalBytes) bytes passed the limit") }
        guard roundTrip(frame, maxFrameBytes: maxFrameBytes) == frame else { fatalError("frame changed in a round trip") }
    }
    return 0
}
