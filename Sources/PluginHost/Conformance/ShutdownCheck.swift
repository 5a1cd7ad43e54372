import PluginProtocol

extension ConformanceChecker {
    /// How long a plugin may take to exit after its `shutdown` answer or the end of its input.
    static let exitGrace = 3.0

    /// `shutdown`: answered with `{}`, then the process exits with status 0 by itself; and a
    /// plugin whose input ends between frames exits with status 0 too.
    func checkShutdown() throws -> String {
        let s = try start()
        defer { s.stop() }
        _ = try forward(s, input(batch: 2))
        _ = try s.call(MethodName.shutdown, Empty(), as: Empty.self)
        guard let status = s.waitForExit(timeout: Self.exitGrace) else {
            throw ConformanceFailure("it answered shutdown but had not exited \(Int(Self.exitGrace)) s later")
        }
        guard status == .exited(0) else { throw ConformanceFailure("after shutdown it \(status)") }

        let eof = try start()
        defer { eof.stop() }
        eof.closeInput()
        guard let end = eof.waitForExit(timeout: Self.exitGrace) else {
            throw ConformanceFailure("its input ended, but it had not exited \(Int(Self.exitGrace)) s later")
        }
        guard end == .exited(0) else { throw ConformanceFailure("at the end of its input it \(end)") }
        return "answers shutdown with {} and exits with status 0; exits with status 0 at the end of its input"
    }
}
