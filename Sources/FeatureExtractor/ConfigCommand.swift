import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// `config`: configuration files.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with configuration files (see also run's --load-config and --save-config).",
        subcommands: [Migrate.self])

    /// `config migrate IN OUT`: a config of the Python original, rewritten with only what acts here.
    struct Migrate: ToolCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Rewrite a config file of the Python original in this tool's format.",
            discussion: """
                Reads IN as --load-config does and writes OUT with only the keys that act here:
                  - keys this tool shares with the original, as they are (window_size, epochs, \
                batch_size, save_encoder, ...); the original's default plugin name 'default' becomes 'ann';
                  - renamed keys under their new names (early_patience -> early_stopping_patience, \
                max_steps_train -> max_steps, ...);
                  - top-level plugin knobs (intermediate_layers, activation, l2_reg, ...) under \
                "plugin_parameters": the run gives each to every plugin that declares it. Move one \
                under "encoder" or "decoder" to set it for that plugin alone.
                Plots, preprocessing, the sibling tools' keys and unknown keys are dropped, and \
                listed. A key that looks like a misspelling of one of ours is an error.

                OUT is replaced atomically: written whole or not at all. Loading it runs the same \
                configuration as loading IN, without the warnings.

                Examples:
                  feature-extractor config migrate phase_3_2_ann_1h_config.json ann.json
                  feature-extractor data.csv --load-config ann.json --epochs 10
                """)

        @Argument(help: "The config file to read (the original's or ours).")
        var input: String
        @Argument(help: "Where to write the migrated config.")
        var output: String
        @Flag(help: "Print one JSON object saying what changed (keys: docs/JSON.md).") var json = false

        /// What `--json` prints.
        struct Report: Encodable {
            struct Rename: Encodable { let from: String, to: String }
            struct Dropped: Encodable { let reason: String, keys: [String] }
            let output: String
            let keys: Int
            let renamed: [Rename]
            let routed: [String]
            let notes: [String]
            let dropped: [Dropped]
            enum CodingKeys: String, CodingKey {
                case output, keys, renamed, notes, dropped
                case routed = "moved_to_plugin_parameters"
            }
        }

        func execute() throws {
            let translation = try ConfigurationLoader.load(input)
            // Types are checked now, so OUT loads without errors too.
            _ = try ConfigurationLoader.merge(RunConfiguration(), translation.layer, source: input)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(JSONValue.object(translation.layer))
            let writer = try AtomicFileWriter(path: output)
            try data.withUnsafeBytes { try writer.write($0) }
            try writer.write("\n")
            try writer.commit()
            if json {
                return try JSONOutput.print(
                    Report(
                        output: output, keys: translation.layer.count,
                        renamed: translation.renamed.map { Report.Rename(from: $0.from, to: $0.to) },
                        routed: translation.routed, notes: translation.notes,
                        dropped: translation.droppedGroups.map { Report.Dropped(reason: $0.reason, keys: $0.keys) }))
            }
            print("wrote \(output): \(translation.layer.count) key(s)")
            for rename in translation.renamed { print("renamed \(rename.from) -> \(rename.to)") }
            if !translation.routed.isEmpty {
                print("moved to plugin_parameters: \(translation.routed.joined(separator: ", "))")
            }
            for note in translation.notes { print(note) }
            for group in translation.droppedGroups {
                print("dropped, \(group.reason): \(group.keys.joined(separator: ", "))")
            }
        }
    }
}
