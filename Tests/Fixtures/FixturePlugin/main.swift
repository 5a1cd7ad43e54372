import Glibc
import PluginKit
import PluginProtocol

/// A plugin that works like the ANN pair until its fixture behaviour kicks in.
/// The behaviour is the executable's file name (tests install one copy per behaviour):
/// - `crash-mid-training`: aborts on its third training forward.
/// - `hang-on-forward`: stops answering at its first forward.
/// - `lying-name`: answers `initialize` with a name that is not its manifest's.
/// Works as either role: the role is taken from the `initialize` request.
let behaviour = String(CommandLine.arguments[0].split(separator: "/").last ?? "")

/// A pass-through layer that misbehaves on cue.
final class Saboteur: Layer {
    private var trainingForwards = 0
    var parameters: [Parameter] { [] }

    func forward(_ input: Matrix, training: Bool) -> Matrix {
        if training { trainingForwards += 1 }
        switch behaviour {
        case "crash-mid-training" where trainingForwards >= 3:
            let note = "fixture: crashing on purpose\n"
            _ = note.withCString { write(2, $0, strlen($0)) }
            abort()
        case "hang-on-forward":
            while true { sleep(1000) }
        default:
            return input
        }
    }

    func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? { gradOutput }
}

protocol Fixture: NeuralNetworkPlugin {}

extension Fixture {
    static var name: String { behaviour == "lying-name" ? "someone-else" : behaviour }
    static var version: String { "1.0.0" }
    static var parameters: ParameterSchema { DenseStackParameters.schema }
}

enum FixtureEncoder: Fixture {
    static let role = PluginRole.encoder
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let inner = try DenseStackParameters.stack([c.inputSize, c.outputSize], c, rng: &rng)
        return Sequential([Saboteur()] + inner.layers)
    }
}

enum FixtureDecoder: Fixture {
    static let role = PluginRole.decoder
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let inner = try DenseStackParameters.stack([c.inputSize, c.outputSize], c, rng: &rng)
        return Sequential([Saboteur()] + inner.layers)
    }
}

// The manifest says which role this copy plays: "<behaviour>" packages are installed
// under encoders/ or decoders/, and the executable's directory tells which.
if CommandLine.arguments[0].contains("/decoders/") {
    PluginServer.serve(FixtureDecoder.self)
} else {
    PluginServer.serve(FixtureEncoder.self)
}
