import Coordinator
import Foundation

/// One line per epoch on a terminal: loss, validation, elapsed and an estimate of what is left.
final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    private var elapsed: Double = 0

    /// Shown only when stderr is a terminal: logs and pipes get the summary instead.
    static var isWanted: Bool { isatty(2) == 1 }

    func show(_ r: EpochReport) {
        lock.lock()
        defer { lock.unlock() }
        elapsed += r.seconds
        let left = Double(r.epochs - r.epoch) * (elapsed / Double(max(r.epoch, 1)))
        var line = "interface \(r.interfaceSize)  epoch \(r.epoch)/\(r.epochs)  loss \(Self.sci(r.trainingMSE))"
        if let v = r.validationMSE { line += "  val \(Self.sci(v))" }
        line += "  \(Int(r.windowsPerSecond)) win/s  \(Self.time(elapsed)) elapsed, ~\(Self.time(left)) left"
        FileHandle.standardError.write(Data((line + "\n").utf8))
        if r.epoch == r.epochs { elapsed = 0 }
    }

    static func sci(_ x: Double) -> String { ScientificNotation.string(x, decimals: 2) }

    static func time(_ s: Double) -> String {
        guard s.isFinite, s >= 0, s < 1e9 else { return "?" }
        return s < 60 ? "\((s * 10).rounded() / 10)s" : "\(Int(s) / 60)m\(Int(s) % 60)s"
    }
}
