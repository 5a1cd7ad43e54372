import Foundation
import XCTest

@testable import PluginProtocol

/// The Codable-free hot path: what it writes is what Codable reads, and what it reads is
/// exactly what Codable would read (it declines, never disagrees).
final class HotPathCodecTests: XCTestCase {
    private let binary = MessageCodec(transport: .binary)
    private let batch = Tensor(rows: 2, cols: 3, values: [0.5, -1, 2.25, 0, 1e-30, -3e20])

    private func frame(_ json: String, attachment: [UInt8] = []) -> Frame {
        Frame(json: Array(json.utf8), attachment: attachment)
    }

    /// The bytes of `values`, as an attachment.
    private func bytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    func testRequestsWrittenDirectlyAreReadAlikeByCodable() throws {
        var codec = binary
        let forward = ForwardParams(input: batch, training: true)
        let f = try codec.encodeRequest(id: 41, method: MethodName.forward, params: forward)
        XCTAssertEqual(try binary.decode(RPCRequest<ForwardParams>.self, from: f).params, forward)
        XCTAssertEqual(try binary.decodeHead(f).id, .number(41))
        for step: Bool? in [nil, true, false] {
            let backward = BackwardParams(gradOutput: batch, needInputGradient: step == nil, step: step)
            let b = try codec.encodeRequest(id: 42, method: MethodName.backward, params: backward)
            XCTAssertEqual(try binary.decode(RPCRequest<BackwardParams>.self, from: b).params, backward)
        }
        let s = try codec.encodeRequest(id: 43, method: MethodName.step, params: Empty())
        XCTAssertEqual(try binary.decodeHead(s).method, MethodName.step)
    }

    func testResultsWrittenDirectlyAreReadAlikeByCodable() throws {
        var codec = binary
        let cases: [(any Codable & Sendable & Equatable, (Frame) throws -> any Equatable)] = [
            (ForwardResult(output: batch), { try self.binary.decode(RPCResult<ForwardResult>.self, from: $0).result }),
            (BackwardResult(gradInput: batch), { try self.binary.decode(RPCResult<BackwardResult>.self, from: $0).result }),
            (BackwardResult(gradInput: nil), { try self.binary.decode(RPCResult<BackwardResult>.self, from: $0).result }),
            (StepResult(steps: 1234), { try self.binary.decode(RPCResult<StepResult>.self, from: $0).result }),
        ]
        for (result, decode) in cases {
            let f = try codec.encodeResult(id: .number(9), result: result)
            XCTAssertEqual("\(try decode(f))", "\(result)")
        }
    }

    func testThePlainFormIsReadWithoutCodableAndAgrees() throws {
        var codec = binary
        let f = try codec.encodeRequest(id: 5, method: MethodName.forward, params: ForwardParams(input: batch, training: false))
        guard case .forward(let id, let p)? = binary.decodeHotPathRequest(f) else { return XCTFail("not read directly") }
        XCTAssertEqual(id, .number(5))
        XCTAssertEqual(p, try binary.decode(RPCRequest<ForwardParams>.self, from: f).params)
        let r = try codec.encodeResult(id: .number(5), result: ForwardResult(output: batch))
        let fast: RPCIncoming<ForwardResult>? = binary.decodeHotPathResult(r, as: ForwardResult.self)
        XCTAssertEqual(fast?.result, ForwardResult(output: batch))
    }

    /// Valid messages in forms the writers never produce: the direct reader declines each, and
    /// the general path (through the same entry points) still reads them.
    func testOtherValidFormsFallBackToCodable() throws {
        let a = bytes(batch.values)
        let t = #"{"dtype":"f32","shape":[2,3],"offset":0}"#
        let forms = [
            #"{"params":{"input":\#(t),"training":true},"jsonrpc":"2.0","id":1,"method":"forward"}"#,  // params first
            #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":\#(t),"training":true,"note":1}}"#,  // extra key
            #"{"jsonrpc":"2.0","id":1,"method":"forw\u0061rd","params":{"input":\#(t),"training":true}}"#,  // escape
            #"{"jsonrpc":"2.0","id":"one","method":"forward","params":{"input":\#(t),"training":true}}"#,  // string id
        ]
        for json in forms {
            XCTAssertNil(binary.decodeHotPathRequest(frame(json, attachment: a)), json)
            let general = try binary.decode(RPCRequest<ForwardParams>.self, from: frame(json, attachment: a))
            XCTAssertEqual(general.params.input, batch, json)
        }
    }

    /// Messages the general path refuses: the direct reader must not accept any of them.
    func testWhatCodableRefusesTheDirectReaderDeclines() {
        let good = bytes(batch.values)
        let nan = bytes([0.5, .nan, 1, 1, 1, 1])
        let requests: [(String, [UInt8])] = [
            (
                #"{"jsonrpc":"1.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":0},"training":true}}"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":0},"training":true}}x"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":0},"training":true}}"#,
                nan
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":4},"training":true}}"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":2},"training":true}}"#,
                good + [0, 0]
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f16","shape":[2,3],"offset":0},"training":true}}"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[1,1,1,2,3],"offset":0},"training":true}}"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":01,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":0},"training":true}}"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"id":2,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"offset":0},"training":true}}"#,
                good
            ),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":[2,3],"shared_offset":0},"training":true}}"#,
                good
            ),
        ]
        for (json, attachment) in requests {
            XCTAssertNil(binary.decodeHotPathRequest(frame(json, attachment: attachment)), json)
        }
    }

    /// Integers of 19 digits and more (past `Int`) in an id, a shape or an offset are declined;
    /// before, the reader multiplied before checking the length and trapped (found by the fuzzer).
    func testIntegersTooLongForIntAreDeclinedWithoutATrap() {
        let good = bytes(batch.values)
        for digits in [19, 20, 60] {
            let n = String(repeating: "9", count: digits)
            let results = [
                #"{"jsonrpc":"2.0","id":\#(n),"result":{"output":{"dtype":"f32","shape":[2,3],"offset":0}}}"#,
                #"{"jsonrpc":"2.0","id":2,"result":{"output":{"dtype":"f32","shape":[\#(n)],"offset":0}}}"#,
                #"{"jsonrpc":"2.0","id":2,"result":{"output":{"dtype":"f32","shape":[-\#(n),3],"offset":0}}}"#,
                #"{"jsonrpc":"2.0","id":2,"result":{"output":{"dtype":"f32","shape":[2,3],"offset":\#(n)}}}"#,
            ]
            for json in results {
                let read: RPCIncoming<ForwardResult>? = binary.decodeHotPathResult(
                    frame(json, attachment: good), as: ForwardResult.self)
                XCTAssertNil(read, json)
            }
        }
        // The longest integer read directly still reads.
        let longest = #"{"jsonrpc":"2.0","id":999999999999999999,"result":{"output":{"dtype":"f32","shape":[2,3],"offset":0}}}"#
        let read: RPCIncoming<ForwardResult>? = binary.decodeHotPathResult(
            frame(longest, attachment: good), as: ForwardResult.self)
        XCTAssertEqual(read?.head.id, .number(999_999_999_999_999_999))
    }

    /// Random damage to valid messages: whenever the direct reader accepts a message, Codable
    /// accepts it too and reads the same values.
    func testDamagedMessagesNeverMakeThePathsDisagree() throws {
        var codec = binary
        var rng = SystemRandomNumberGenerator()
        let request = try codec.encodeRequest(
            id: 77, method: MethodName.backward, params: BackwardParams(gradOutput: batch, needInputGradient: true, step: true))
        let response = try codec.encodeResult(id: .number(77), result: ForwardResult(output: batch))
        var accepted = 0
        for _ in 0..<3000 {
            for original in [request, response] {
                var json = original.json
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: json[Int.random(in: 0..<json.count, using: &rng)] = UInt8.random(in: 32...126, using: &rng)
                case 1: json.remove(at: Int.random(in: 0..<json.count, using: &rng))
                default: json.insert(UInt8.random(in: 32...126, using: &rng), at: Int.random(in: 0...json.count, using: &rng))
                }
                let damaged = Frame(json: json, attachment: original.attachment)
                if let fast = binary.decodeHotPathRequest(damaged) {
                    accepted += 1
                    guard case .backward(let id, let p) = fast else { return XCTFail(String(decoding: json, as: UTF8.self)) }
                    let slow = try binary.decode(RPCRequest<BackwardParams>.self, from: damaged)
                    XCTAssertEqual(slow.params, p, String(decoding: json, as: UTF8.self))
                    XCTAssertEqual(slow.id, id)
                }
                let fast: RPCIncoming<ForwardResult>? = binary.decodeHotPathResult(damaged, as: ForwardResult.self)
                if let fast {
                    accepted += 1
                    let slow = try binary.decode(RPCResult<ForwardResult>.self, from: damaged)
                    XCTAssertEqual(slow.result, fast.result, String(decoding: json, as: UTF8.self))
                    XCTAssertEqual(slow.id, fast.head.id)
                }
            }
        }
        XCTAssertGreaterThan(accepted, 0, "some damage (whitespace, a digit) leaves a message valid")
    }

    func testBase64NeverTakesTheDirectPath() throws {
        var codec = MessageCodec(transport: .base64)
        let f = try codec.encodeRequest(id: 1, method: MethodName.forward, params: ForwardParams(input: batch, training: true))
        XCTAssertTrue(f.attachment.isEmpty)
        XCTAssertTrue(String(decoding: f.json, as: UTF8.self).contains(#""data""#))
        XCTAssertNil(codec.decodeHotPathRequest(f))
    }
}
