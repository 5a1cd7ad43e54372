import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Raw, hostile bytes sent to a real bundled plugin: every well-framed bad
/// message gets a JSON-RPC error and the plugin keeps serving; only an
/// undelimitable stream ends it, and then cleanly (exit status, no crash).
final class PluginServerRobustnessTests: XCTestCase {
    private var process: Process!
    private var input: FileHandle!
    private var reader: FrameReader!

    override func setUpWithError() throws {
        let package = try TestPlugins.locator.locate(name: "ann", role: .encoder)
        process = Process()
        process.executableURL = URL(fileURLWithPath: package.executablePath)
        process.environment = ["SWIFT_BACKTRACE": "enable=no"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        input = stdin.fileHandleForWriting
        reader = FrameReader(fd: stdout.fileHandleForReading.fileDescriptor, maxFrameBytes: 1 << 24)
    }

    override func tearDown() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    private func send(_ json: String) throws {
        try input.write(contentsOf: Data("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8))
    }

    private func reply() throws -> (head: RPCHead, frame: Frame) {
        let frame = try XCTUnwrap(try reader.readFrame(deadline: nil))
        return (try JSONDecoder().decode(RPCHead.self, from: Data(frame.json)), frame)
    }

    private func expectError(_ json: String, code: Int, _ fragment: String = "", line: UInt = #line) throws {
        try send(json)
        let (head, _) = try reply()
        XCTAssertEqual(head.error?.code, code, "reply to \(json)", line: line)
        if !fragment.isEmpty {
            XCTAssertTrue(head.error?.message.contains(fragment) ?? false, head.error?.message ?? "no error", line: line)
        }
    }

    func testMalformedMessagesGetErrorsAndThePluginKeepsServing() throws {
        try expectError("this is not json", code: RPCErrorCode.parseError)
        try expectError(#"{"jsonrpc":"1.0","id":1,"method":"initialize"}"#, code: RPCErrorCode.invalidRequest)
        try expectError(
            #"{"jsonrpc":"2.0","id":2,"method":"forward","params":{}}"#, code: RPCErrorCode.wrongState, "before initialize")
        try expectError(
            #"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocol_version":99,"role":"encoder","transports":["base64"]}}"#,
            code: RPCErrorCode.invalidParams, "protocol version 99")
        try expectError(
            #"{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocol_version":1,"role":"decoder","transports":["base64"]}}"#,
            code: RPCErrorCode.invalidParams, "not a decoder")
        try send(
            #"{"jsonrpc":"2.0","id":5,"method":"initialize","params":{"protocol_version":1,"role":"encoder","transports":["carrier-pigeon","base64"]}}"#
        )
        XCTAssertNil(try reply().head.error, "unknown transports are skipped, base64 is chosen")
        try expectError(#"{"jsonrpc":"2.0","id":6,"method":"no_such_method","params":{}}"#, code: RPCErrorCode.methodNotFound)
        try expectError(
            #"{"jsonrpc":"2.0","id":7,"method":"forward","params":{"input":{"dtype":"f32","shape":[1,2],"data":"AAAAAAAAAAA="},"training":false}}"#,
            code: RPCErrorCode.wrongState, "not configured")
        try expectError(
            #"{"jsonrpc":"2.0","id":8,"method":"configure","params":{"input_shape":[0],"output_shape":[2],"seed":1,"parameters":{}}}"#,
            code: RPCErrorCode.invalidParams, "input_shape")
        try send(
            #"{"jsonrpc":"2.0","id":9,"method":"configure","params":{"input_shape":[2],"output_shape":[1],"seed":1,"parameters":{}}}"#
        )
        XCTAssertNil(try reply().head.error)
        // A NaN smuggled in base64 (0x7FC00000 little-endian) is refused.
        try expectError(
            #"{"jsonrpc":"2.0","id":10,"method":"forward","params":{"input":{"dtype":"f32","shape":[1,2],"data":"AADAfwAAAAA="},"training":false}}"#,
            code: RPCErrorCode.invalidParams, "NaN")
        try expectError(
            #"{"jsonrpc":"2.0","id":11,"method":"forward","params":{"input":{"dtype":"f64","shape":[1,2],"data":"AAAAAAAAAAA="},"training":false}}"#,
            code: RPCErrorCode.invalidParams, "dtype")
        try expectError(
            #"{"jsonrpc":"2.0","id":12,"method":"backward","params":{"grad_output":{"dtype":"f32","shape":[1,1],"data":"AAAAAA=="},"need_input_grad":true}}"#,
            code: RPCErrorCode.wrongState, "training forward")
        // After all that, real work still succeeds.
        try send(
            #"{"jsonrpc":"2.0","id":13,"method":"forward","params":{"input":{"dtype":"f32","shape":[1,2],"data":"AAAAPwAAgD8="},"training":true}}"#
        )
        let (head, frame) = try reply()
        XCTAssertNil(head.error)
        XCTAssertEqual(head.id, .number(13))
        let output = try MessageCodec().decode(RPCResult<ForwardResult>.self, from: frame).result.output
        XCTAssertEqual(output.shape, [1, 1])
        XCTAssertTrue(process.isRunning)
    }

    func testUndelimitableFrameEndsThePluginCleanly() throws {
        try input.write(contentsOf: Data("Content-Length: banana\r\n\r\n{}".utf8))
        let (head, _) = try reply()
        XCTAssertEqual(head.error?.code, RPCErrorCode.parseError)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "a clean exit, not a crash")
        XCTAssertEqual(process.terminationStatus, 2)
    }

    func testShutdownAnswersThenExitsZero() throws {
        try send(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1,"role":"encoder","transports":["base64"]}}"#
        )
        _ = try reply()
        try send(#"{"jsonrpc":"2.0","id":2,"method":"shutdown","params":{}}"#)
        XCTAssertNil(try reply().head.error)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
    }
}
