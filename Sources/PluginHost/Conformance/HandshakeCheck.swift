import Foundation
import PluginProtocol

extension ConformanceChecker {
    /// `handshake`: the package layout; `initialize` through the coordinator's own client
    /// (name, role, version and protocol range against the manifest, a transport it offered);
    /// the protocol range equal to the manifest's; `-32000` before `initialize`; `-32602`
    /// for the other role; base64 chosen when only base64 is offered, and working;
    /// `debug_info` naming every declared variable.
    func checkHandshake() throws -> String {
        let manifest = package.manifest
        let dir = URL(fileURLWithPath: package.directory)
        let expectedLayout = "\(role.rawValue)s/\(manifest.name)"
        guard dir.lastPathComponent == manifest.name, dir.deletingLastPathComponent().lastPathComponent == "\(role.rawValue)s"
        else {
            throw ConformanceFailure("the package directory \(package.directory) must be <plugins-dir>/\(expectedLayout)")
        }

        // The coordinator's own client makes every check it makes before a run.
        var limits = RPCLimits()
        limits.callTimeout = callTimeout
        let host = try PluginConnection(package: package, role: role, limits: limits, sandbox: sandbox)
        defer { host.shutdown() }
        let info: InitializeResult
        do {
            info = try host.initialize()
        } catch {
            throw ConformanceFailure("the coordinator refuses its initialize: \(error)")
        }
        guard info.protocol == manifest.protocol else {
            throw ConformanceFailure("initialize says protocol \(info.protocol), the manifest says \(manifest.protocol)")
        }

        // Before initialize, and with the other role.
        let early = try spawn()
        defer { early.stop() }
        let configure = ConfigureParams(inputShape: shapes.input, outputShape: shapes.output, seed: seed, parameters: [:])
        try Self.expectError(
            try early.request(MethodName.configure, configure), code: RPCErrorCode.wrongState, "configure before initialize")
        let other: PluginRole = role == .encoder ? .decoder : .encoder
        try Self.expectError(
            try early.request(MethodName.initialize, InitializeParams(role: other, transports: [.binary, .base64])),
            code: RPCErrorCode.invalidParams, "initialize with role \(other.rawValue)")

        // base64 is mandatory: offered alone, it is chosen and carries tensors.
        let plain = try spawn()
        defer { plain.stop() }
        let chosen = try plain.initialize(transports: [.base64]).transport
        guard chosen == .base64 else { throw ConformanceFailure("offered only base64, it chose \(chosen.rawValue)") }
        try plain.configure(shapes, seed: seed, parameters: [:])
        _ = try forward(plain, input(batch: 2))
        let variables = try plain.call(MethodName.debugInfo, Empty(), as: DebugInfoResult.self).variables
        let missing = info.debugVariables.filter { variables[$0] == nil }
        guard missing.isEmpty else {
            throw ConformanceFailure("debug_info does not report the declared variable(s) \(missing.joined(separator: ", "))")
        }

        return "\(role.rawValue) '\(info.name)' \(info.version), protocol \(info.protocol), transport \(info.transport.rawValue) "
            + "(base64 works too); agrees with its manifest; refuses requests before initialize and the other role"
    }
}
