import ArgumentParser
import FeatureExtractorSupport
import Foundation
import PluginHost
import PluginProtocol

extension PluginCommand {
    /// Inference throughput across the process boundary, for benchmarks: what `run` spends
    /// encoding, without the CSV it writes around it.
    struct Throughput: ToolCommand {
        static let configuration = CommandConfiguration(
            commandName: "throughput",
            abstract: "Measure a plugin's inference speed through its real process: windows per second of forward.",
            discussion: """
                Configures the plugin for WINDOW values in and INTERFACE out (a decoder: the reverse), \
                then sends batches as inference forwards and prints the windows per second of the best \
                of --repeat passes (the first batch is a warm-up, not timed). An encoder's batches are \
                the stride-1 windows of a seeded random walk, sent as `run` sends one column's windows \
                (as their stretch of the series to plugins that read overlapping rows, row_stride in \
                docs/PROTOCOL.md); with --dense, or for a decoder, every row's values are sent (seeded \
                random rows). This is the figure to set beside another library's encoder \
                forward on the same model and batches: `run`'s own encode figure also counts writing \
                the features. With --processes N, N copies of the plugin (same seed, so the same \
                weights) take the batches in turn, as `run --encode-processes N` does: set that \
                beside a library using N threads.

                Example: feature-extractor plugin throughput encoder ann --window 128 --interface 32 \\
                  --param activation=tanh --param spectral=false --param linear_path=false
                """)
        @Argument(help: "encoder or decoder") var role: String
        @Argument(help: "Plugin name") var name: String
        @Option(help: "Values per window (an encoder's input, a decoder's output).") var window: Int = 128
        @Option(help: "Features per window (an encoder's output, a decoder's input).") var interface: Int = 32
        @Option(help: "Windows per request, as run encodes.") var batch: Int = 4096
        @Option(help: "Windows per timed pass.") var windows: Int = 200_000
        @Option(name: .customLong("repeat"), help: "Timed passes; the fastest counts.") var count: Int = 3
        @Option(help: "Plugin processes taking the batches in turn (one per core is `run`'s default for long inputs).")
        var processes: Int = 1
        @Option(help: "Seed of the model's initialisation and of the windows.") var seed: UInt64 = 42
        @Flag(help: "Send every row's values, as for several columns or plugins that do not read overlapping rows.")
        var dense = false
        @Option(name: .customLong("param"), help: "A plugin parameter, key=value (repeatable).")
        var params: [String] = []
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []
        @Flag(help: "Print one JSON object (keys: docs/JSON.md).") var json = false
        @OptionGroup var sandbox: SandboxOptions
        @OptionGroup var store: StoreOptions

        /// What `--json` prints.
        struct Report: Encodable {
            let role: String, name: String
            let windowsPerSecond: Double
            let inputs: Int, outputs: Int, batch: Int, windows: Int, passes: Int, processes: Int
            let parameterCount: Int?
            let sandboxed: Bool
            /// Whether the windows crossed as their series (`row_stride`).
            let overlappingRows: Bool
            enum CodingKeys: String, CodingKey {
                case role, name, inputs, outputs, batch, windows, passes, processes, sandboxed
                case overlappingRows = "overlapping_rows"
                case windowsPerSecond = "windows_per_second", parameterCount = "parameter_count"
            }
        }

        func execute() throws {
            guard let r = PluginRole(rawValue: role) else { throw ValidationError("role must be encoder or decoder") }
            guard (1...65_536).contains(window), (1...65_536).contains(interface), (1...65_536).contains(batch),
                windows >= batch, count >= 1, (1...64).contains(processes)
            else {
                throw ValidationError(
                    "--window, --interface and --batch must be 1...65536, --windows at least --batch, --processes 1...64")
            }
            let package = try PluginCommand.locate(name, role: r, in: pluginsDirs, store: store)
            let settings = try sandbox.settings()
            let (inputs, outputs) = r == .encoder ? (window, interface) : (interface, window)
            let parameters = try RunOptions.parameters(params, option: "--param")
            var plugins: [PluginConnection] = []
            defer { plugins.forEach { $0.shutdown() } }
            var setup: ConfigureResult?
            for _ in 0..<processes {
                let c = try PluginConnection(package: package, role: r, sandbox: settings)
                plugins.append(c)
                try c.initialize()
                setup = try c.call(
                    MethodName.configure,
                    ConfigureParams(inputShape: [inputs], outputShape: [outputs], seed: seed, parameters: parameters),
                    as: ConfigureResult.self)
            }
            var random = SplitMix64(seed: seed)
            let input: StridedRows
            if r == .encoder && !dense {
                var level: Float = 0
                let walk = (0..<(batch - 1 + inputs)).map { _ in
                    level += Float.random(in: -0.05...0.05, using: &random)
                    return level
                }
                input = StridedRows(shape: [batch, inputs], rowStride: 1, values: walk)
            } else {
                input = StridedRows(
                    Tensor(
                        rows: batch, cols: inputs,
                        values: (0..<(batch * inputs)).map { _ in Float.random(in: -1...1, using: &random) }))
            }
            /// Encodes `count` batches of `input` through every process; returns the seconds taken.
            func pass(_ count: Int) throws -> Double {
                var made = 0
                let pipeline = ForwardPipeline(lanes: plugins, outputWidth: outputs) {
                    guard made < count else { return nil }
                    made += 1
                    return input
                }
                let stopwatch = Stopwatch()
                while try pipeline.next() != nil {}
                return stopwatch.seconds
            }
            _ = try pass(plugins.count)  // a warm-up batch each
            var best = 0.0
            let batches = windows / batch
            for _ in 0..<count {
                best = max(best, Double(batches * batch) / (try pass(batches)))
            }
            let overlapping = !input.isDense && plugins[0].info?.supports(PluginCapability.rowStride) == true
            if json {
                return try JSONOutput.print(
                    Report(
                        role: role, name: name, windowsPerSecond: best, inputs: inputs, outputs: outputs, batch: batch,
                        windows: batches * batch, passes: count, processes: processes, parameterCount: setup?.parameterCount,
                        sandboxed: plugins[0].isSandboxed, overlappingRows: overlapping))
            }
            print(
                String(
                    format: "%.0f windows/s (%@ '%@', %d -> %d, batch %d, %d parameters, %@, %d process%@, %@, best of %d)",
                    best, role, name, inputs, outputs, batch, setup?.parameterCount ?? 0,
                    plugins[0].isSandboxed ? "sandboxed" : "no sandbox", processes, processes == 1 ? "" : "es",
                    overlapping ? "windows sent as their series" : "every row's values sent", count))
        }
    }
}
