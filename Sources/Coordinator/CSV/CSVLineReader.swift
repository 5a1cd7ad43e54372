import FeatureExtractorSupport
import Foundation

/// Reads a file one physical line at a time through a bounded buffer.
///
/// Why not `String(contentsOfFile:)`: input files can be far larger than memory allows to
/// hold twice (text plus parsed numbers), and a file without line breaks must fail at
/// `maxLineBytes` rather than after reading gigabytes. The buffer starts small and grows
/// only up to one maximal line plus its line break.
final class CSVLineReader {
    let path: String
    let maxLineBytes: Int
    /// Physical line number (1-based) of the line returned by the last `next()`.
    private(set) var lineNumber = 0
    /// Size of the file when opened (for capacity estimates only).
    let fileSize: Int

    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var reachedEOF = false
    private static let initialCapacity = 64 << 10

    init(path: String, maxLineBytes: Int) throws {
        self.path = path
        self.maxLineBytes = max(1, maxLineBytes)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw DataError(file: path, message: "cannot open the file: \(FileError.systemMessage(code))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw DataError(file: path, message: "cannot inspect the file: \(FileError.systemMessage(code))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DataError(file: path, message: "is a directory, not a CSV file")
        }
        self.fd = fd
        self.fileSize = Int(info.st_size)
        // +2: room for the "\r\n" that follows a line of exactly maxLineBytes.
        let capacity = min(Self.initialCapacity, self.maxLineBytes + 2)
        buffer = .allocate(byteCount: max(capacity, 16), alignment: 16)
    }

    deinit {
        buffer.deallocate()
        close(fd)
    }

    /// The next line without its "\n" or "\r\n" (and without a leading UTF-8 BOM on line
    /// 1), or nil at the end of the file. The bytes are valid until the next call.
    func next() throws -> UnsafeRawBufferPointer? {
        while true {
            let pending = end - start
            if pending > 0, let base = buffer.baseAddress,
                let found = memchr(base + start, 0x0A, pending)
            {
                let newline = base.distance(to: found)
                let line = try finishLine(from: start, to: newline)
                start = newline + 1
                return line
            }
            if pending > maxLineBytes + 1 {
                throw tooLong(lineNumber + 1)
            }
            if reachedEOF {
                guard pending > 0 else { return nil }
                let line = try finishLine(from: start, to: end)
                start = end
                return line
            }
            try refill()
        }
    }

    private func finishLine(from lineStart: Int, to lineEnd: Int) throws -> UnsafeRawBufferPointer {
        lineNumber += 1
        var first = lineStart
        var last = lineEnd
        if last > first, buffer[last - 1] == 0x0D { last -= 1 }
        if lineNumber == 1, last - first >= 3,
            buffer[first] == 0xEF, buffer[first + 1] == 0xBB, buffer[first + 2] == 0xBF
        {
            first += 3
        }
        guard last - first <= maxLineBytes else { throw tooLong(lineNumber) }
        return UnsafeRawBufferPointer(rebasing: buffer[first..<last])
    }

    private func tooLong(_ line: Int) -> DataError {
        DataError(
            file: path, line: line,
            message: "line is longer than \(maxLineBytes) bytes (maxLineBytes); is this really a CSV file with one row per line?")
    }

    /// Moves the unread bytes to the front, grows the buffer if a long line needs it, and
    /// reads more.
    private func refill() throws {
        if start > 0 {
            let pending = end - start
            if pending > 0, let base = buffer.baseAddress {
                memmove(base, base + start, pending)
            }
            start = 0
            end = pending
        }
        if end == buffer.count {
            let limit = maxLineBytes + 2
            let grown = UnsafeMutableRawBufferPointer.allocate(
                byteCount: min(limit, buffer.count * 2),
                alignment: 16)
            grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<end]))
            buffer.deallocate()
            buffer = grown
        }
        while true {
            let count = read(fd, buffer.baseAddress! + end, buffer.count - end)
            if count > 0 {
                end += count
                return
            }
            if count == 0 {
                reachedEOF = true
                return
            }
            let code = errno
            if code == EINTR { continue }
            throw DataError(file: path, message: "cannot read the file: \(FileError.systemMessage(code))")
        }
    }
}
