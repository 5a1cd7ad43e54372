import Foundation
import Glibc
import XCTest

@testable import PluginProtocol

/// Shared helpers for the PluginProtocol tests (namespaced so they cannot clash
/// with other helpers in the UnitTests target).
enum ProtocolTestSupport {
    /// A pipe(2) whose ends are closed when the value is released.
    final class Pipe {
        let readFD: Int32
        private(set) var writeFD: Int32

        init() {
            // A writer thread may outlive a failed read; it must get EPIPE, not kill the test process.
            signal(SIGPIPE, SIG_IGN)
            var fds: [Int32] = [0, 0]
            precondition(Glibc.pipe(&fds) == 0, "pipe failed (errno \(errno))")
            readFD = fds[0]
            writeFD = fds[1]
        }

        deinit {
            close(readFD)
            if writeFD >= 0 { close(writeFD) }
        }

        /// Writes every byte (blocking).
        func write(_ bytes: [UInt8]) {
            ProtocolTestSupport.writeAll(writeFD, bytes)
        }

        func write(_ text: String) { write(Array(text.utf8)) }

        /// Closes the write end: the reader sees end of stream once the buffer is drained.
        func closeWriter() {
            if writeFD >= 0 { close(writeFD) }
            writeFD = -1
        }

        /// Gives the write end away (e.g. to a writer thread that closes it); the pipe no longer closes it.
        func takeWriter() -> Int32 {
            let fd = writeFD
            writeFD = -1
            return fd
        }

        /// Makes the read end non-blocking (needed for reads with a deadline).
        func makeReadNonBlocking() {
            let flags = fcntl(readFD, F_GETFL)
            precondition(fcntl(readFD, F_SETFL, flags | O_NONBLOCK) == 0)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        precondition(tryWriteAll(fd, bytes), "write failed (errno \(errno))")
    }

    /// Writes every byte; false if the descriptor refused (e.g. the reader went away).
    static func tryWriteAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// Writes `bytes` from a background thread in chunks of 1...`maxChunk` bytes with a
    /// short pause between them, so the reader sees the data in many partial reads.
    /// Closes `fd` when `closeWhenDone`. Returns a semaphore signalled at the end: wait for
    /// it before the pipe is released (the small amounts written here never fill a pipe).
    static func trickle(
        _ bytes: [UInt8], to fd: Int32, maxChunk: Int = 7, pauseMicroseconds: UInt32 = 100,
        closeWhenDone: Bool = false
    ) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var i = 0
            var size = 1
            while i < bytes.count {
                let end = min(i + size, bytes.count)
                guard tryWriteAll(fd, Array(bytes[i..<end])) else { break }
                i = end
                size = size % maxChunk + 1
                if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
            }
            if closeWhenDone { close(fd) }
            done.signal()
        }
        thread.start()
        return done
    }

    /// The bytes of a frame as a peer would send them.
    static func frameBytes(json: String, attachment: [UInt8] = []) -> [UInt8] {
        let body = Array(json.utf8)
        var header = "Content-Length: \(body.count)\r\n"
        if !attachment.isEmpty { header += "Attachment-Length: \(attachment.count)\r\n" }
        header += "\r\n"
        return Array(header.utf8) + body + attachment
    }

    /// Little-endian IEEE-754 bytes of `values`, computed independently of the codec.
    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values {
            let bits = v.bitPattern
            out += [UInt8(bits & 0xff), UInt8((bits >> 8) & 0xff), UInt8((bits >> 16) & 0xff), UInt8(bits >> 24)]
        }
        return out
    }

    static func base64(_ values: [Float]) -> String {
        Data(littleEndianBytes(values)).base64EncodedString()
    }

    /// Runs `body` and returns the `RPCError` it threw; fails the test if it threw nothing or something else.
    @discardableResult
    static func rpcError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> RPCError? {
        do {
            try body()
            XCTFail("expected an RPCError, nothing was thrown", file: file, line: line)
        } catch let error as RPCError {
            return error
        } catch {
            XCTFail("expected an RPCError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Asserts `body` throws an `RPCError` with `code` whose message contains every string in `mentions`.
    static func assertRPCError(
        _ code: Int, mentions: [String] = [], _ body: () throws -> Void,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let error = rpcError(body, file: file, line: line) else { return }
        XCTAssertEqual(error.code, code, "message: \(error.message)", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(error.message.contains(m), "'\(error.message)' does not mention '\(m)'", file: file, line: line)
        }
    }

    /// Runs `body` and returns the `FramingError` it threw; fails the test otherwise.
    @discardableResult
    static func framingError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> FramingError? {
        do {
            try body()
            XCTFail("expected a FramingError, nothing was thrown", file: file, line: line)
        } catch let error as FramingError {
            return error
        } catch {
            XCTFail("expected a FramingError, got \(error)", file: file, line: line)
        }
        return nil
    }

    static func frame(_ json: String, attachment: [UInt8] = []) -> Frame {
        Frame(json: Array(json.utf8), attachment: attachment)
    }

    /// The JSON object of a frame, for inspecting what was encoded.
    static func jsonObject(_ frame: Frame) throws -> [String: JSONValue] {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(frame.json))
        return try XCTUnwrap(value.objectValue)
    }
}
