import FeatureExtractorSupport
import Foundation
import Glibc
import XCTest

@testable import PluginProtocol

/// Framing over real pipes: `FrameWriter` and `FrameReader` with the header
/// rules, size limits, end-of-stream handling and deadlines.
final class FrameIOTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    // MARK: - Helpers

    /// Every byte left in the pipe after its writer is closed.
    private func drain(_ pipe: Support.Pipe) -> [UInt8] {
        pipe.closeWriter()
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(pipe.readFD, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// Feeds `raw` to a reader and returns the error it throws. With `keepOpen` the
    /// writer stays open and the read has a deadline, so a reader that waited for
    /// more input would fail with `timedOut` rather than hang the suite.
    private func readError(
        _ raw: [UInt8], maxFrameBytes: Int = 1 << 20, keepOpen: Bool = false, seconds: Double = 2,
        file: StaticString = #filePath, line: UInt = #line
    ) -> FramingError? {
        let pipe = Support.Pipe()
        pipe.write(raw)
        if keepOpen { pipe.makeReadNonBlocking() } else { pipe.closeWriter() }
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: maxFrameBytes)
        return Support.framingError(
            { _ = try reader.readFrame(deadline: keepOpen ? .after(seconds: seconds) : nil) },
            file: file, line: line)
    }

    private func assertBadHeader(_ raw: String, keepOpen: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        assertBadHeader(Array(raw.utf8), keepOpen: keepOpen, file: file, line: line)
    }

    private func assertBadHeader(_ raw: [UInt8], keepOpen: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let error = readError(raw, keepOpen: keepOpen, file: file, line: line)
        guard case .badHeader = error else {
            return XCTFail(
                "expected badHeader for \(String(decoding: raw.prefix(60), as: UTF8.self).debugDescription), got \(String(describing: error))",
                file: file, line: line)
        }
    }

    // MARK: - Writer output

    func testWriterEmitsContentLengthHeaderOnlyWithoutAttachment() throws {
        let pipe = Support.Pipe()
        try FrameWriter(fd: pipe.writeFD).write(Frame(json: Array(#"{"a":1}"#.utf8)))
        XCTAssertEqual(String(decoding: drain(pipe), as: UTF8.self), "Content-Length: 7\r\n\r\n{\"a\":1}")
    }

    func testWriterEmitsAttachmentLengthHeaderAndRawAttachment() throws {
        let pipe = Support.Pipe()
        try FrameWriter(fd: pipe.writeFD).write(Frame(json: Array("{}".utf8), attachment: [0, 0, 128, 63]))
        XCTAssertEqual(drain(pipe), Array("Content-Length: 2\r\nAttachment-Length: 4\r\n\r\n{}".utf8) + [0, 0, 128, 63])
    }

    // MARK: - Round trips

    func testRoundTripWithoutAttachment() throws {
        let pipe = Support.Pipe()
        let frame = Frame(json: Array(#"{"jsonrpc":"2.0","id":1,"method":"step","params":{}}"#.utf8))
        try FrameWriter(fd: pipe.writeFD).write(frame)
        pipe.closeWriter()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        XCTAssertEqual(try reader.readFrame(), frame)
        XCTAssertNil(try reader.readFrame())
    }

    func testRoundTripWithAttachment() throws {
        let pipe = Support.Pipe()
        let attachment = (0..<1000).map { UInt8($0 % 251) }
        let frame = Frame(json: Array(#"{"t":{"dtype":"f32","shape":[250],"offset":0}}"#.utf8), attachment: attachment)
        try FrameWriter(fd: pipe.writeFD).write(frame)
        pipe.closeWriter()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        let read = try XCTUnwrap(reader.readFrame())
        XCTAssertEqual(read.json, frame.json)
        XCTAssertEqual(read.attachment, attachment)
        XCTAssertNil(try reader.readFrame())
    }

    func testSeveralFramesBackToBackAreReadInOrder() throws {
        let frames = (0..<6).map { i in
            Frame(
                json: Array("{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i * 37))\"}".utf8),
                attachment: i % 2 == 0 ? [] : [UInt8](repeating: UInt8(i), count: i * 8))
        }
        let pipe = Support.Pipe()
        let writer = FrameWriter(fd: pipe.writeFD)
        for f in frames { try writer.write(f) }
        pipe.closeWriter()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        for f in frames { XCTAssertEqual(try reader.readFrame(), f) }
        XCTAssertNil(try reader.readFrame())
    }

    func testFramesSplitAcrossManySmallWrites() throws {
        let frames = [
            Frame(json: Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#.utf8)),
            Frame(json: Array(#"{"k":"\r\n\r\n inside the body is not a header end"}"#.utf8), attachment: Array(0..<64)),
            Frame(json: Array("{}".utf8)),
        ]
        var bytes: [UInt8] = []
        for f in frames {
            bytes += Support.frameBytes(json: String(decoding: f.json, as: UTF8.self), attachment: f.attachment)
        }
        let pipe = Support.Pipe()
        let done = Support.trickle(bytes, to: pipe.takeWriter(), closeWhenDone: true)
        defer { done.wait() }
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        for f in frames { XCTAssertEqual(try reader.readFrame(), f) }
        XCTAssertNil(try reader.readFrame())
    }

    func testFrameLargerThanTheReadBufferFromAWriterThread() throws {
        let json = Array("{\"pad\":\"\(String(repeating: "y", count: 200_000))\"}".utf8)
        let attachment = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let pipe = Support.Pipe()
        let fd = pipe.takeWriter()
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? FrameWriter(fd: fd).write(Frame(json: json, attachment: attachment))
            close(fd)
            done.signal()
        }.start()
        // If the read fails the pipe's read end closes and the writer stops with EPIPE.
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        let read = try XCTUnwrap(reader.readFrame())
        XCTAssertEqual(read.json, json)
        XCTAssertEqual(read.attachment, attachment)
        XCTAssertNil(try reader.readFrame())
        done.wait()
    }

    /// A non-blocking writer with a deadline meets a full pipe mid-part many times over
    /// (the pipe holds 64 KiB): every byte still arrives once, in order.
    func testNonBlockingWriterResumesPartialWritesAcrossParts() throws {
        let json = Array("{\"pad\":\"\(String(repeating: "z", count: 150_001))\"}".utf8)
        let attachment = (0..<250_003).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let pipe = Support.Pipe()
        let fd = pipe.takeWriter()
        XCTAssertEqual(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Thread {
            do {
                let writer = FrameWriter(fd: fd)
                try writer.write(Frame(json: json, attachment: attachment), deadline: .after(seconds: 10))
                try writer.write(Frame(json: Array("{}".utf8)), deadline: .after(seconds: 10))
            } catch {
                failure = error
            }
            close(fd)
            done.signal()
        }.start()
        usleep(50_000)  // let the writer fill the pipe and wait first
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        let read = try XCTUnwrap(reader.readFrame())
        XCTAssertEqual(read.json, json)
        XCTAssertEqual(read.attachment, attachment)
        XCTAssertEqual(try reader.readFrame(), Frame(json: Array("{}".utf8)))
        XCTAssertNil(try reader.readFrame())
        done.wait()
        XCTAssertNil(failure)
    }

    // MARK: - End of stream

    func testCleanEndOfStreamReturnsNil() throws {
        let pipe = Support.Pipe()
        pipe.closeWriter()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        XCTAssertNil(try reader.readFrame())
        XCTAssertNil(try reader.readFrame())
    }

    func testEndOfStreamInsideHeader() {
        XCTAssertEqual(readError(Array("Content-Len".utf8)), .endOfStream(midFrame: true))
        XCTAssertEqual(readError(Array("Content-Length: 2\r\n".utf8)), .endOfStream(midFrame: true))
    }

    func testEndOfStreamInsideBody() {
        XCTAssertEqual(readError(Array("Content-Length: 10\r\n\r\n{\"a\"".utf8)), .endOfStream(midFrame: true))
    }

    func testEndOfStreamInsideAttachment() {
        XCTAssertEqual(
            readError(Array("Content-Length: 2\r\nAttachment-Length: 8\r\n\r\n{}".utf8) + [1, 2, 3]),
            .endOfStream(midFrame: true))
    }

    func testEndOfStreamAfterACompleteFrameIsClean() throws {
        let pipe = Support.Pipe()
        pipe.write(Support.frameBytes(json: "{}"))
        pipe.closeWriter()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        XCTAssertEqual(try reader.readFrame(), Frame(json: Array("{}".utf8)))
        XCTAssertNil(try reader.readFrame())
    }

    // MARK: - Header rules

    func testHeaderVariantsThatAreAccepted() throws {
        let variants = [
            "content-length: 2\r\n\r\n{}",  // names are case-insensitive
            "CONTENT-LENGTH:2\r\n\r\n{}",  // no space after the colon
            "Content-Length:\t 2\r\n\r\n{}",  // leading blanks and tabs
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
            "Content-Length: 2\r\nAttachment-Length: 0\r\n\r\n{}",
            "Content-Length: 0002\r\n\r\n{}",  // leading zeros
        ]
        for text in variants {
            let pipe = Support.Pipe()
            pipe.write(text)
            pipe.closeWriter()
            let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
            XCTAssertEqual(try reader.readFrame(), Frame(json: Array("{}".utf8)), text.debugDescription)
        }
    }

    func testMissingContentLengthIsRejected() {
        assertBadHeader("Content-Type: application/json\r\n\r\n{}")
        assertBadHeader("Attachment-Length: 4\r\n\r\n{}")
    }

    func testEmptyHeaderBlockIsRejected() {
        assertBadHeader("\r\n\r\n{}")
    }

    func testNonNumericContentLengthIsRejected() {
        for value in ["abc", "1e3", "0x10", "+5", "5 ", "2.0", "", "٣", "１"] {
            assertBadHeader("Content-Length: \(value)\r\n\r\n{}")
        }
    }

    func testNegativeContentLengthIsRejected() {
        assertBadHeader("Content-Length: -5\r\n\r\n{}")
        assertBadHeader("Content-Length: 2\r\nAttachment-Length: -4\r\n\r\n{}")
    }

    func testOverlongNumberIsRejected() {
        assertBadHeader("Content-Length: 0000000000002\r\n\r\n{}")  // 13 digits
    }

    func testDuplicatedContentLengthIsRejected() {
        assertBadHeader("Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
        assertBadHeader("Content-Length: 2\r\ncontent-length: 3\r\n\r\n{}")
    }

    func testUnknownHeaderFieldIsRejected() {
        assertBadHeader("Content-Length: 2\r\nX-Priority: 1\r\n\r\n{}")
        assertBadHeader("Content-Length : 2\r\n\r\n{}")  // the name includes the space
    }

    func testLineWithoutColonIsRejected() {
        assertBadHeader("Content-Length 2\r\n\r\n{}")
        assertBadHeader("Content-Length: 2\nX: 1\r\n\r\n{}")  // a bare LF is not a line break
    }

    func testHeaderThatIsNotUTF8IsRejected() {
        let error = readError([0xC3, 0x28] + Array(": 1\r\nContent-Length: 2\r\n\r\n{}".utf8))
        XCTAssertEqual(error, .badHeader("not text"))
    }

    func testNoHeaderTerminatorWithin1024BytesIsRejectedWithoutWaitingForMore() {
        // The writer stays open: a reader that kept reading would time out instead.
        let junk = "Content-Type: " + String(repeating: "a", count: 2000)
        assertBadHeader(junk, keepOpen: true)
    }

    func testNoHeaderTerminatorWithin1024BytesWhenTheHeaderTrickles() {
        let pipe = Support.Pipe()
        pipe.makeReadNonBlocking()
        let bytes = Array(("Content-Type: " + String(repeating: "b", count: 1100)).utf8)
        let done = Support.trickle(bytes, to: pipe.writeFD, maxChunk: 64, pauseMicroseconds: 50)
        defer { done.wait() }
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        let error = Support.framingError { _ = try reader.readFrame(deadline: .after(seconds: 5)) }
        guard case .badHeader = error else { return XCTFail("expected badHeader, got \(String(describing: error))") }
    }

    func testBadHeaderDescriptionNamesTheProblem() {
        XCTAssertEqual(FramingError.badHeader("content-length missing").description, "bad frame header: content-length missing")
        XCTAssertEqual(FramingError.tooLarge(bytes: 10, limit: 5).description, "frame of 10 bytes is over the 5-byte limit")
    }

    // MARK: - Size limit

    func testFrameOverTheLimitIsRejectedBeforeItsBodyIsRead() {
        // Only the header is sent and the writer stays open: reading the body would time out.
        XCTAssertEqual(
            readError(Array("Content-Length: 2000\r\n\r\n".utf8), maxFrameBytes: 1024, keepOpen: true),
            .tooLarge(bytes: 2000, limit: 1024))
    }

    func testHugeDeclaredLengthIsRejectedWithoutAllocating() {
        // 12 digits: allocating this would abort the test process.
        XCTAssertEqual(
            readError(Array("Content-Length: 999999999999\r\n\r\n".utf8), maxFrameBytes: 1 << 20, keepOpen: true),
            .tooLarge(bytes: 999_999_999_999, limit: 1 << 20))
    }

    func testLimitCountsJSONAndAttachmentTogether() {
        XCTAssertEqual(
            readError(
                Array("Content-Length: 600\r\nAttachment-Length: 600\r\n\r\n".utf8),
                maxFrameBytes: 1024, keepOpen: true),
            .tooLarge(bytes: 1200, limit: 1024))
    }

    func testFrameExactlyAtTheLimitIsAccepted() throws {
        let json = "{\"p\":\"\(String(repeating: "z", count: 1000 - 8))\"}"
        XCTAssertEqual(json.utf8.count, 1000)
        let pipe = Support.Pipe()
        pipe.write(Support.frameBytes(json: json, attachment: [UInt8](repeating: 7, count: 24)))
        pipe.closeWriter()
        let frame = try XCTUnwrap(FrameReader(fd: pipe.readFD, maxFrameBytes: 1024).readFrame())
        XCTAssertEqual(frame.totalBytes, 1024)
    }

    // MARK: - Deadlines

    func testReadWithDeadlineTimesOutWhenNothingArrives() {
        let pipe = Support.Pipe()
        pipe.makeReadNonBlocking()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        let stopwatch = Stopwatch()
        XCTAssertEqual(Support.framingError { _ = try reader.readFrame(deadline: .after(seconds: 0.05)) }, .timedOut)
        let elapsed = stopwatch.seconds
        XCTAssertGreaterThanOrEqual(elapsed, 0.04)
        XCTAssertLessThan(elapsed, 1.5)
    }

    func testReadWithDeadlineTimesOutWhenTheBodyNeverComes() {
        XCTAssertEqual(readError(Array("Content-Length: 20\r\n\r\n{\"a".utf8), keepOpen: true, seconds: 0.05), .timedOut)
    }

    func testReadWithDeadlineSucceedsWhenDataArrivesLater() throws {
        let pipe = Support.Pipe()
        pipe.makeReadNonBlocking()
        let done = Support.trickle(
            Support.frameBytes(json: #"{"late":true}"#), to: pipe.writeFD, maxChunk: 3, pauseMicroseconds: 500)
        defer { done.wait() }
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        XCTAssertEqual(try reader.readFrame(deadline: .after(seconds: 5)), Frame(json: Array(#"{"late":true}"#.utf8)))
    }

    func testNonBlockingReadWithoutDeadlineReportsEAGAIN() {
        let pipe = Support.Pipe()
        pipe.makeReadNonBlocking()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        XCTAssertEqual(Support.framingError { _ = try reader.readFrame() }, .io(operation: "read", errno: EAGAIN))
    }

    /// A spinning reader (a plugin's) polls, then sleeps until the frame comes, however late.
    func testSpinningReaderWithoutDeadlineWaitsForDataBeyondItsSpin() throws {
        let pipe = Support.Pipe()
        pipe.makeReadNonBlocking()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        reader.spinNanoseconds = 1_000_000
        let done = Support.trickle(
            Support.frameBytes(json: #"{"n":1}"#), to: pipe.writeFD, maxChunk: 2, pauseMicroseconds: 5_000)
        defer { done.wait() }
        XCTAssertEqual(try reader.readFrame(), Frame(json: Array(#"{"n":1}"#.utf8)))
    }

    func testSpinningReaderStillTimesOutAndSeesEndOfStream() {
        let pipe = Support.Pipe()
        pipe.makeReadNonBlocking()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1024)
        reader.spinNanoseconds = 2_000_000
        XCTAssertEqual(Support.framingError { _ = try reader.readFrame(deadline: .after(seconds: 0.05)) }, .timedOut)
        pipe.closeWriter()
        XCTAssertNil(try reader.readFrame(), "a clean end of stream, not an error")
    }

    func testWriteWithDeadlineTimesOutWhenThePipeStaysFull() {
        let pipe = Support.Pipe()
        let flags = fcntl(pipe.writeFD, F_GETFL)
        XCTAssertEqual(fcntl(pipe.writeFD, F_SETFL, flags | O_NONBLOCK), 0)
        let big = Frame(json: [UInt8](repeating: 32, count: 4 << 20))  // far more than a pipe holds; nobody reads
        XCTAssertEqual(
            Support.framingError { try FrameWriter(fd: pipe.writeFD).write(big, deadline: .after(seconds: 0.05)) }, .timedOut)
    }

    func testDeadlineArithmetic() {
        XCTAssertEqual(Deadline.after(seconds: 0).remainingMilliseconds, 0)
        XCTAssertEqual(Deadline.after(seconds: -3).remainingMilliseconds, 0)
        XCTAssertEqual(Deadline.after(seconds: .nan).remainingMilliseconds, 0)
        let ms = Deadline.after(seconds: 10).remainingMilliseconds
        XCTAssertTrue((9_900...10_000).contains(ms), "\(ms)")
        XCTAssertLessThan(Deadline.now(), Deadline.after(seconds: 1))
    }
}
