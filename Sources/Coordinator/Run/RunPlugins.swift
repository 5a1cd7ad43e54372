import FeatureExtractorSupport
import Foundation
import PluginHost
import PluginProtocol
import StateStore

/// Starting the run's plugins: provenance checked, sandboxed, handshaken, audited.
extension FeatureExtractionRun {
    /// Starts and handshakes the plugins; the decoder only when the run needs one.
    func launch(needDecoder: Bool, audit: RunAuditor) throws -> Autoencoder {
        let locator = PluginLocator(
            directories: env.pluginDirectories,
            verification: ManifestVerification(trust: SQLiteTrustStore(store: env.store), allowDowngrade: config.allowDowngrade))
        let sandbox = effectiveSandbox()
        if sandbox == nil {
            try audit.record("sandbox.disabled", target: "plugins", .success, ["reason": "--no-sandbox"])
        } else if !config.allowWeakerSandbox.isEmpty {
            try audit.record(
                "sandbox.allow_weaker", target: "plugins", .success,
                ["mechanisms": config.allowWeakerSandbox.joined(separator: ",")])
        }
        let log = env.pluginLog
        var noted: Set<String> = []
        func start(_ name: String, _ role: PluginRole) throws -> PluginConnection {
            do {
                let package = try locator.locate(name: name, role: role)
                // Said once a run: a limit the host lowers (an inherited `ulimit -H`, a small machine).
                for note in sandbox?.hostNotes(for: package) ?? [] where noted.insert(note).inserted {
                    env.warn(note)
                }
                let connection = try PluginConnection(
                    package: package, role: role, limits: env.limits, sandbox: sandbox, onLog: log)
                do {
                    try connection.initialize()
                } catch {
                    connection.shutdown()
                    throw error
                }
                var details = [
                    "version": package.manifest.version, "sha256": package.manifest.sha256 ?? "", "signer": package.signer ?? "",
                ]
                if !connection.sandboxWeakenings.isEmpty {
                    details["sandbox_weaker"] = connection.sandboxWeakenings.joined(separator: "; ")
                }
                try audit.record("plugin.load", target: "\(role)/\(name)", .success, details)
                return connection
            } catch let error as PluginError {
                try audit.record(
                    "plugin.refuse", target: "\(role)/\(name)", .refused, ["reason": DisplayText.escaped("\(error)", limit: 500)])
                throw error
            }
        }
        let encoder = try start(config.encoderPlugin, .encoder)
        var decoder: PluginConnection?
        if needDecoder {
            do {
                decoder = try start(config.decoderPlugin, .decoder)
            } catch {
                encoder.shutdown()
                throw error
            }
        }
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        model.relaunch = { role in
            try start(role == .encoder ? self.config.encoderPlugin : self.config.decoderPlugin, role)
        }
        return model
    }

    /// The environment's sandbox with this run's operator choices applied (tighter limits, accepted weaker mechanisms).
    private func effectiveSandbox() -> SandboxSettings? {
        guard var s = env.sandbox else { return nil }
        s.operatorLimits = s.operatorLimits.map { $0.tightened(by: config.pluginLimits) } ?? config.pluginLimits
        s.allowWeaker.formUnion(config.allowWeakerSandbox.compactMap(SandboxMechanism.init(rawValue:)))
        return s
    }

    /// A plugin's namespace checked against its schema; `plugin_parameters` and then the
    /// run-wide learning rate fill what the plugin declares and the namespace leaves unset.
    func parameters(_ given: [String: JSONValue], for plugin: any PluginChannel, key: String) throws -> [String: JSONValue] {
        var values = given
        let schema = plugin.info!.parameters
        for (name, value) in config.pluginParameters where values[name] == nil && schema[name] != nil {
            values[name] = value
        }
        if let lr = config.learningRate, values["learning_rate"] == nil, schema["learning_rate"] != nil {
            values["learning_rate"] = .number(lr)
        }
        do {
            _ = try schema.resolve(values)
        } catch {
            throw ConfigurationError.invalid(key: key, reason: "\(plugin.label): \(error.message)")
        }
        return values
    }

    /// Warns once about `plugin_parameters` that neither plugin declares: they reach no one.
    func warnUndeclaredPluginParameters(_ model: Autoencoder) {
        let plugins: [any PluginChannel] = [model.encoder] + [model.decoder].compactMap { $0 }
        let undeclared = config.pluginParameters.keys.filter { name in
            plugins.allSatisfy { $0.info?.parameters[name] == nil }
        }.sorted()
        guard !undeclared.isEmpty else { return }
        env.warn(
            "plugin_parameters \(undeclared.joined(separator: ", ")): declared by neither "
                + plugins.map(\.label).joined(separator: " nor ")
                + " and ignored (`feature-extractor plugin info ROLE NAME` lists a plugin's parameters)")
    }
}
