import TestSupport
import XCTest

@testable import PluginHost

/// The descriptors a child starts with are the ones asked for, whatever numbers
/// the coordinator's own copies happen to have.
final class ChildProcessDescriptorTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    /// What the child finds on descriptors 3 and 4, one `readlink` per line.
    private func childDescriptors(executableFD: Int32) throws -> [String] {
        let child = try ChildProcess.spawn(
            executable: "/bin/sh",
            arguments: ["-c", "readlink /proc/self/fd/3; readlink /proc/self/fd/4"],
            environment: ["PATH": "/usr/bin:/bin"], workingDirectory: dir.path,
            reportChannel: true, executableFD: executableFD)
        defer { child.kill(); close(child.stderrFD); if child.reportFD >= 0 { close(child.reportFD) } }
        let output = readToEnd(child)
        XCTAssertEqual(child.wait(timeout: 10), .exited(0))
        return output.split(separator: "\n").map(String.init)
    }

    /// The child's whole stdout (the pipe is non-blocking), with its stdin closed.
    private func readToEnd(_ child: ChildProcess) -> String {
        close(child.stdinFD)
        defer { close(child.stdoutFD) }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let n = read(child.stdoutFD, &buffer, buffer.count)
            if n > 0 { output.append(contentsOf: buffer[..<n]); continue }
            if n == 0 || (errno != EAGAIN && errno != EINTR) { break }
            usleep(1_000)
        }
        return String(decoding: output, as: UTF8.self)
    }

    func testExecutableOnDescriptorFourEvenWhenItsOwnNumberIsThree() throws {
        // The executable held on 3, the number the report pipe is moved to: a mapping
        // done in order would give the child the pipe twice and no executable, and the
        // launcher's fexecve would then fail with EACCES.
        let file = dir.file("plugin-executable")
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let opened = open(file, O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(opened, 0)
        let saved = fcntl(3, F_DUPFD_CLOEXEC, 100)
        XCTAssertEqual(dup2(opened, 3), 3)
        close(opened)
        defer {
            if saved >= 0 { dup2(saved, 3); close(saved) } else { close(3) }
        }
        let seen = try childDescriptors(executableFD: 3)
        XCTAssertEqual(seen.count, 2, "\(seen)")
        XCTAssertTrue(seen.first?.hasPrefix("pipe:") ?? false, "descriptor 3 is the report pipe: \(seen)")
        XCTAssertEqual(
            seen.last.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path },
            URL(fileURLWithPath: file).resolvingSymlinksInPath().path, "descriptor 4 is the executable: \(seen)")
    }

    func testNothingElseIsInherited() throws {
        let stray = open(dir.file("."), O_RDONLY)  // no O_CLOEXEC: closefrom must still drop it
        defer { close(stray) }
        let child = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", "ls /proc/self/fd | wc -l"],
            environment: ["PATH": "/usr/bin:/bin"], workingDirectory: dir.path)
        defer { child.kill(); close(child.stderrFD) }
        let text = readToEnd(child)
        // 0, 1, 2 and the descriptor `ls` opens on /proc/self/fd.
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "4")
    }
}
