import Glibc
import PluginKit
import PluginProtocol

/// What this copy of the fixture is: its behaviour (the executable's file name),
/// its role (the directory it is installed in), and the parameters it accepts.
enum Cue {
    static let behaviour = String(CommandLine.arguments[0].split(separator: "/").last ?? "")

    /// "<behaviour>" packages are installed under encoders/ or decoders/.
    static let role: PluginRole = CommandLine.arguments[0].contains("/decoders/") ? .decoder : .encoder

    /// The Dense stack's parameters plus where the attacks aim: a plugin gets no
    /// arguments and no environment, so tests pass these through `configure`.
    static let parameters: ParameterSchema = DenseStackArchitecture.schema.merging([
        "path": ParameterSpec(.string, default: .string(""), description: "File an attack touches, reads or writes."),
        "port": ParameterSpec(
            .integer, default: .number(0), minimum: 0, maximum: 65_535,
            description: "TCP port on 127.0.0.1 an attack connects to."),
        "crash_after": ParameterSpec(
            .integer, default: .number(3), minimum: 1, maximum: 1_000_000,
            description: "crash-mid-training aborts on this training forward of the configured model."),
        "delay_ms": ParameterSpec(
            .integer, default: .number(0), minimum: 0, maximum: 10_000,
            description: "slow-forward sleeps this long before each inference forward."),
    ]) { _, new in new }
}

/// One line on stderr, written straight to the descriptor (no buffering to lose).
func say(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

/// Never returns, never answers.
func hang() -> Never {
    // Deaf to every signal it may ignore, and it never reads its input again: only SIGKILL ends it.
    for sig in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { signal(sig, SIG_IGN) }
    while true { sleep(1000) }
}
