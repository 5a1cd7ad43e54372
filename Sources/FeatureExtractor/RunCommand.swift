import ArgumentParser
import Coordinator
import Foundation
import PluginHost

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train (or load) an autoencoder and write features, reconstructions and models.",
        discussion: """
        Configuration is layered: built-in defaults < --load-config file < command line. \
        Plugin parameters are namespaced: --encoder-param reaches only the encoder, \
        --decoder-param only the decoder, and each is checked against the schema its \
        plugin declares.

        Examples:
          feature-extractor run data.csv --columns CLOSE --epochs 10 --save-encoder enc.safetensors
          feature-extractor run data.csv --load-encoder enc.safetensors --evaluate-encoder feats.csv
          feature-extractor run data.csv --threshold-error 1e-4 --initial-size 8 --step-size 8
        """)

    @OptionGroup var options: RunOptions
    @OptionGroup var sandbox: SandboxOptions

    func run() throws {
        let config: RunConfiguration
        do {
            var c = RunConfiguration()
            if let path = options.loadConfig { c = try ConfigurationLoader.merge(c, try ConfigurationLoader.readFile(path), source: path) }
            c = try ConfigurationLoader.merge(c, try options.layer(), source: "command line")
            config = c
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ExitCodes.fail(error)
        }
        let quiet = config.quietMode
        let progress = ProgressDisplay()
        let showProgress = !quiet && ProgressDisplay.isWanted
        let sandboxSettings: SandboxSettings?
        do {
            sandboxSettings = try sandbox.settings()
        } catch {
            throw ExitCodes.fail(error)
        }
        let env = RunEnvironment(
            pluginDirectories: PluginDirectories.resolve(options.pluginsDirs), sandbox: sandboxSettings,
            info: { line in if !quiet { print(line) } },
            progress: { r in if showProgress { progress.show(r) } },
            pluginLog: { e in if !quiet { FileHandle.standardError.write(Data("[\(e.plugin)] \(e.message)\n".utf8)) } })
        do {
            let summary = try FeatureExtractionRun(config: config, environment: env).run()
            if !quiet { Self.report(summary) }
        } catch {
            throw ExitCodes.fail(error)
        }
    }

    static func report(_ s: RunSummary) {
        if let last = s.training.last, let e = last.epochs.last {
            print("trained interface \(last.interfaceSize): \(last.epochs.count) epoch(s), \(Int(e.windowsPerSecond)) windows/s in the last")
        }
        for m in s.metrics {
            print("\(m.column): window MSE \(ProgressDisplay.sci(m.windowMSE)) (window-mean baseline \(ProgressDisplay.sci(m.baselineWindowMeanMSE))), MSE \(ProgressDisplay.sci(m.mse)), MAE \(ProgressDisplay.sci(m.mae))")
        }
        for o in s.outputs { print("wrote \(o)") }
        print("done in \((s.executionSeconds * 100).rounded() / 100) s")
    }
}
