import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// The host and real plugin processes agreeing (or refusing) at start-up.
final class PluginHandshakeTests: XCTestCase {
    func testBundledEncoderIdentifiesItselfAndPrefersSharedMemory() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        let info = try XCTUnwrap(c.info)
        XCTAssertEqual(info.name, "ann")
        XCTAssertEqual(info.role, .encoder)
        XCTAssertEqual(info.transport, .sharedMemory, "the sandboxed plugin mapped the region it was handed")
        XCTAssertTrue(info.protocol.contains(PluginProtocolVersion.current))
        XCTAssertNotNil(info.parameters["learning_rate"])
    }

    func testBase64OnlyOfferIsHonoured() throws {
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .decoder), role: .decoder, sandbox: TestPlugins.sandbox)
        defer { c.shutdown() }
        XCTAssertEqual(try c.initialize(transports: [.base64]).transport, .base64)
        let setup = try c.call(
            MethodName.configure, ConfigureParams(inputShape: [4], outputShape: [8], seed: 1, parameters: [:]),
            as: ConfigureResult.self)
        XCTAssertGreaterThan(setup.parameterCount, 0)
        let out = try c.call(
            MethodName.forward,
            ForwardParams(input: Tensor(rows: 3, cols: 4, values: Array(repeating: 0.5, count: 12)), training: false),
            as: ForwardResult.self)
        XCTAssertEqual(out.output.shape, [3, 8])
    }

    func testEveryTransportCarriesTheSameForward() throws {
        var outputs: [Tensor] = []
        for transports: [TensorTransport] in [[.sharedMemory], [.binary], [.base64]] {
            let c = try PluginConnection(
                package: try TestPlugins.locator.locate(name: "ann", role: .encoder), role: .encoder, sandbox: TestPlugins.sandbox
            )
            defer { c.shutdown() }
            XCTAssertEqual(try c.initialize(transports: transports).transport, transports[0])
            try configure16to4(c)
            let input = Tensor(rows: 5, cols: 16, values: (0..<80).map { sin(Float($0)) })
            outputs.append(
                try c.call(MethodName.forward, ForwardParams(input: input, training: false), as: ForwardResult.self).output)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
    }

    /// A third unanswered request could be answered into a slot whose answer is unread: refused.
    func testSharedMemoryAllowsTwoRequestsInFlightNotThree() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        try configure16to4(c)
        let input = ForwardParams(input: Tensor(rows: 2, cols: 16, values: Array(repeating: 0.5, count: 32)), training: false)
        let first = try c.send(MethodName.forward, input)
        let second = try c.send(MethodName.forward, input)
        XCTAssertThrowsError(try c.send(MethodName.forward, input)) { error in
            XCTAssertTrue("\(error)".contains("third request"), "\(error)")
        }
        let a = try c.receive(first, method: MethodName.forward, as: ForwardResult.self)
        let b = try c.receive(second, method: MethodName.forward, as: ForwardResult.self)
        XCTAssertEqual(a, b)
        XCTAssertNil(c.failure, "the refusal does not end the plugin")
        XCTAssertNoThrow(try c.call(MethodName.forward, input, as: ForwardResult.self))
    }

    /// A plugin's peak memory is its own: it was once reported as the coordinator's (wait4 carries
    /// the spawning process's high-water mark over the exec).
    func testPeakMemoryIsThePluginsOwnNotTheCoordinators() throws {
        let ballast = UnsafeMutableRawBufferPointer.allocate(byteCount: 300 << 20, alignment: 64)
        defer {
            ballast.deallocate()
            // Resets this process's peak RSS, which other tests compare against.
            try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        }
        ballast.initializeMemory(as: UInt8.self, repeating: 1)  // resident in this process
        for sandbox in [TestPlugins.sandbox, nil] {
            let c = try PluginConnection(
                package: try TestPlugins.locator.locate(name: "ann", role: .encoder), role: .encoder, sandbox: sandbox)
            try c.initialize()
            c.shutdown()
            let peak = try XCTUnwrap(c.peakRSSKilobytes, "measured while the plugin ran")
            XCTAssertGreaterThan(peak, 1 << 10, "a Swift process holds more than 1 MiB")
            XCTAssertLessThan(peak, 150 << 10, "\(peak) KiB: the coordinator's 300 MiB were counted (sandbox: \(sandbox != nil))")
        }
    }

    /// A paused and resumed plugin (Ctrl-Z on the job, an operator's SIGSTOP) carries on: the
    /// kernel's restart of its interrupted wait is not a sandbox violation.
    func testAStoppedAndContinuedPluginCarriesOn() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        try configure16to4(c)
        let input = ForwardParams(input: Tensor(rows: 2, cols: 16, values: Array(repeating: 0.5, count: 32)), training: false)
        let first = try c.call(MethodName.forward, input, as: ForwardResult.self)
        usleep(100_000)  // past the plugin's spin: it now waits in the kernel
        let children = try String(contentsOfFile: "/proc/\(c.processID)/task/\(c.processID)/children", encoding: .utf8)
        let plugin = try XCTUnwrap(children.split(separator: " ").first.flatMap { pid_t($0) }, "the launcher's child")
        XCTAssertEqual(kill(plugin, SIGSTOP), 0)
        usleep(200_000)
        XCTAssertEqual(kill(plugin, SIGCONT), 0)
        XCTAssertEqual(try c.call(MethodName.forward, input, as: ForwardResult.self), first)
    }

    func testPluginLyingAboutItsNameIsRefused() throws {
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "lying-name", role: .encoder), role: .encoder,
            sandbox: TestPlugins.sandbox)
        defer { c.shutdown() }
        XCTAssertThrowsError(try c.initialize()) { error in
            guard case PluginError.incompatible(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("someone-else") && reason.contains("manifest"), reason)
        }
    }

    func testEncoderStartedAsDecoderIsRefusedByTheHost() throws {
        // The package says encoder; asking the locator for a decoder of that name must not find it.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pkg = try TestPlugins.locator.locate(name: "ann", role: .encoder)
        try FileManager.default.createDirectory(atPath: dir.path + "/decoders", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: pkg.directory, toPath: dir.path + "/decoders/ann")
        XCTAssertThrowsError(
            try PluginLocator(directories: [dir.path], verification: TestPlugins.verification).locate(name: "ann", role: .decoder)
        ) { error in
            XCTAssertTrue("\(error)".contains("declares role encoder"), "\(error)")
        }
    }

    func testInvalidParametersAreRefusedByThePluginWithJSONRPCErrors() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        for (params, fragment) in [
            (["activation": JSONValue.string("swish")], "not one of"),
            (["no_such_knob": JSONValue.number(1)], "unknown parameter"),
            (["learning_rate": JSONValue.number(-1)], "below the minimum"),
        ] {
            XCTAssertThrowsError(
                try c.call(
                    MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 1, parameters: params),
                    as: ConfigureResult.self)
            ) { error in
                guard case PluginError.remoteError(_, _, let rpc) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(rpc.code, RPCErrorCode.invalidParams)
                XCTAssertTrue(rpc.message.contains(fragment), rpc.message)
            }
        }
        // Refusals leave the plugin usable.
        XCTAssertNoThrow(
            try c.call(
                MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 1, parameters: [:]),
                as: ConfigureResult.self))
    }

    func testWrongShapedInputIsRefusedWithoutKillingThePlugin() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        _ = try c.call(
            MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 1, parameters: [:]),
            as: ConfigureResult.self)
        XCTAssertThrowsError(
            try c.call(
                MethodName.forward,
                ForwardParams(input: Tensor(rows: 2, cols: 15, values: Array(repeating: 0, count: 30)), training: false),
                as: ForwardResult.self)
        ) { error in
            guard case PluginError.remoteError(_, _, let rpc) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(rpc.code, RPCErrorCode.invalidParams)
        }
        let ok = try c.call(
            MethodName.forward,
            ForwardParams(input: Tensor(rows: 2, cols: 16, values: Array(repeating: 0, count: 32)), training: false),
            as: ForwardResult.self)
        XCTAssertEqual(ok.output.shape, [2, 4])
    }

    /// Configures `c` as a 16 -> 4 model (seed 3).
    private func configure16to4(_ c: PluginConnection) throws {
        _ = try c.call(
            MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 3, parameters: [:]),
            as: ConfigureResult.self)
    }
}
