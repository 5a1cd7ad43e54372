import ArgumentParser

struct FeatureExtractorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feature-extractor",
        abstract: "Train autoencoders on time series and write each window's learned features.",
        discussion: """
            The encoder and decoder are plugins: separate programs driven over JSON-RPC \
            (see docs/PROTOCOL.md). Without a subcommand, `run` is assumed:

              feature-extractor data.csv --columns CLOSE --window-size 128 --initial-size 32

            Exit codes: 0 success, 64 usage or configuration error, 65 bad input data \
            or model file (or a broken audit log), 69 plugin failure, 70 internal error, \
            74 file or database I/O failure, 75 remote service unavailable, 77 permission denied.

            --json on run, plugin list/info/check/throughput/startup-time, config migrate, keys list, user list, \
            doctor, policy show and audit list/verify prints JSON for scripts (keys: docs/JSON.md). Shell completions: --generate-completion-script bash|zsh|fish.
            """,
        version: VersionInfo.summary,
        subcommands: [
            RunCommand.self, PluginCommand.self, ConfigCommand.self, KeysCommand.self, UserCommand.self, AuditCommand.self,
            ServeCommand.self, DoctorCommand.self, PolicyCommand.self,
        ],
        defaultSubcommand: RunCommand.self)
}
