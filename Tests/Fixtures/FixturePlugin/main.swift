import Glibc
import PluginKit
import PluginProtocol

/// A plugin that works like the ANN pair until its fixture behaviour kicks in.
/// The behaviour is the executable's file name (tests install one copy per behaviour
/// and role, see Tests/Support/TestPlugins.swift). Unless noted, the attack runs at
/// the FIRST `forward`, so the handshake and `configure` succeed first.
///
/// Faults:
/// - `crash-mid-training`: aborts on its `crash_after`-th (default third) training forward.
/// - `hang-on-forward`: stops answering.
/// - `hang-mid-training`: answers quickly, then stops answering at its `crash_after`-th training forward.
/// - `hog-then-hang`: takes memory until refused (its address-space limit), then stops answering, silently.
/// - `lying-name`: answers `initialize` with a name that is not its manifest's.
/// - `slow-forward`: computes correctly, but sleeps `delay_ms` before each inference forward.
///
/// Attacks on the coordinator's protocol handling (WireAttacks.swift):
/// - `garbage-stdout`: streams non-protocol bytes on the RPC output.
/// - `oversized-frame`: announces a ~1 TB frame and starts streaming its body.
/// - `huge-json`: answers forward with 200 MB of valid JSON (under the frame limit).
/// - `log-flood`: sends `log` notifications as fast as it can, then answers.
/// - `nan-output`, `wrong-shape`, `wrong-id`: answer forward with a forged
///   response (NaN in the tensor / wrong shape / another request id).
///
/// Attacks on the machine (SystemAttacks.swift); parameters `path` and `port` say where:
/// - `stderr-flood`: writes to stderr without end.
/// - `memory-hog`: allocates and touches memory without end (stops at a safety cap).
/// - `cpu-spin`: spins forever.
/// - `fork-shell`: fork() and `/bin/sh -c 'touch <path>'` in the child.
/// - `exec-shell`: execve `/bin/sh -c 'touch <path>'` in place of itself.
/// - `tcp-connect`: connects to 127.0.0.1:<port> and sends "leak".
/// - `read-secret`: reads <path> and leaks it on stderr and in a `log` notification.
/// - `write-file`: creates <path>.
/// The last four, when refused, say so on stderr ("<behaviour>: denied (errno N)" or
/// "blocked"/"failed") and answer the forward normally.
///
/// Protocol bugs that only `feature-extractor plugin check` finds (the plugin otherwise works):
/// - `wrong-gradient`: backward returns twice the true input gradient.
/// - `state-no-roundtrip`: adds a seeded offset to its input, exported by export_state but
///   silently ignored by import_state, so an imported model computes something else.
/// - `ignores-step-in-backward`, `misreads-row-stride`: claim a capability and get it wrong
///   (RequestRewriter.swift).

/// A pass-through layer that misbehaves on cue.
final class Saboteur: Layer {
    private let path: String
    private let port: Int
    private let crashAfter: Int
    private let delayMicroseconds: UInt32
    private var forwards = 0
    private var trainingForwards = 0
    /// `state-no-roundtrip`: an offset added to the input, drawn from the seed.
    private let offset: Weight?

    /// `state-no-roundtrip` hands out a copy of its offset: export_state reads the true
    /// values, but import_state (and the optimiser) write into a copy that is thrown away.
    var weights: [Weight] {
        offset.map { [Weight(name: $0.name, value: $0.value)] } ?? []
    }

    init(_ c: ModelConfiguration) {
        path = c.string("path") ?? ""
        port = c.integer("port") ?? 0
        crashAfter = c.integer("crash_after") ?? 3
        delayMicroseconds = UInt32(c.integer("delay_ms") ?? 0) * 1000
        if Cue.behaviour == "state-no-roundtrip" {
            var rng = SeededGenerator(seed: c.seed &+ 7)
            offset = Weight(
                name: "saboteur.offset",
                value: Matrix(
                    rows: 1, cols: c.inputSize, values: (0..<c.inputSize).map { _ in Float.random(in: -0.1...0.1, using: &rng) }))
        } else {
            offset = nil
        }
    }

    func forward(_ input: Matrix, training: Bool) -> Matrix {
        forwards += 1
        if training { trainingForwards += 1 }
        if Cue.behaviour == "crash-mid-training" && trainingForwards >= crashAfter {
            say("fixture: crashing on purpose")
            abort()
        }
        if Cue.behaviour == "hang-mid-training" && trainingForwards >= crashAfter { hang() }
        if forwards == 1 { attack() }
        if Cue.behaviour == "slow-forward" && !training { usleep(delayMicroseconds) }
        guard let offset else { return input }
        var shifted = input
        for r in 0..<input.rows {
            for k in 0..<input.cols { shifted.values[r * input.cols + k] += offset.value.values[k] }
        }
        return shifted
    }

    func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard Cue.behaviour == "wrong-gradient" else { return gradOutput }
        var doubled = gradOutput
        for i in doubled.values.indices { doubled.values[i] *= 2 }
        return doubled
    }

    private func attack() {
        switch Cue.behaviour {
        case "hang-on-forward": hang()
        case "garbage-stdout": WireAttacks.garbage()
        case "oversized-frame": WireAttacks.oversizedFrame()
        case "huge-json": WireAttacks.hugeJSON()
        case "log-flood": WireAttacks.logFlood()
        case "stderr-flood": SystemAttacks.stderrFlood()
        case "memory-hog": SystemAttacks.memoryHog()
        case "hog-then-hang": SystemAttacks.memoryHog(thenHang: true)
        case "cpu-spin": SystemAttacks.cpuSpin()
        case "fork-shell": SystemAttacks.forkShell(touching: path)
        case "exec-shell": SystemAttacks.execShell(touching: path)
        case "tcp-connect": SystemAttacks.tcpConnect(port: port)
        case "read-secret": SystemAttacks.readSecret(path)
        case "write-file": SystemAttacks.writeFile(path)
        default: break
        }
    }
}

protocol Fixture: NeuralNetworkPlugin {}

extension Fixture {
    static var name: String { Cue.behaviour == "lying-name" ? "someone-else" : Cue.behaviour }
    static var version: String { "1.0.0" }
    static var parameters: ParameterSchema { Cue.parameters }
}

enum FixtureEncoder: Fixture {
    static let role = PluginRole.encoder
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let inner = try DenseStackArchitecture.stack([c.inputSize, c.outputSize], c, rng: &rng)
        return Sequential([Saboteur(c)] + inner.layers)
    }
}

enum FixtureDecoder: Fixture {
    static let role = PluginRole.decoder
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let inner = try DenseStackArchitecture.stack([c.inputSize, c.outputSize], c, rng: &rng)
        return Sequential([Saboteur(c)] + inner.layers)
    }
}

// A private copy of the RPC output for the attacks that write raw bytes on it
// (PluginServer keeps its own copy, dup(1), to itself; both are the same pipe).
WireAttacks.output = FrameWriter(fd: dup(1))

switch (Cue.behaviour, Cue.role) {
case ("nan-output", let role), ("wrong-shape", let role), ("wrong-id", let role):
    // These need the forward's request id, which PluginKit keeps to itself.
    ForgedReplies.serve(role: role)
case ("ignores-step-in-backward", .decoder), ("misreads-row-stride", .decoder):
    RequestRewriter.serve(FixtureDecoder.self)
case ("ignores-step-in-backward", .encoder), ("misreads-row-stride", .encoder):
    RequestRewriter.serve(FixtureEncoder.self)
case (_, .decoder):
    PluginServer.serve(FixtureDecoder.self)
case (_, .encoder):
    PluginServer.serve(FixtureEncoder.self)
}
