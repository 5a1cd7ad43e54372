import Coordinator
import FeatureExtractorSupport
import Foundation

/// Training progress on standard error. One line per epoch (loss, validation, speed, elapsed,
/// an estimate of what is left) wherever stderr goes, so a log shows how a long job went; on a
/// terminal also a line redrawn in place within the epoch (batches, windows/s, ETA).
final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    let isTerminal: Bool
    /// Seconds of the epochs completed at this interface size, and how many.
    private var elapsed: Double = 0
    private var epochsDone = 0
    private var interfaceSize = 0
    /// Whether the in-place line is on screen (it is cleared before anything else is written).
    private var lineShown = false
    private var sinceDraw: Stopwatch?

    /// Redraws at most this often: a terminal is slow, batches can be fast.
    private static let redrawSeconds = 0.1
    /// Erases the terminal's current line: carriage return, then "erase to end of line".
    private static let eraseLine = "\r\u{1B}[K"

    init(terminal: Bool = isatty(2) == 1) { isTerminal = terminal }

    /// The in-place line, after a training batch (terminal only).
    func batch(_ b: BatchProgress) {
        guard isTerminal else { return }
        lock.lock()
        defer { lock.unlock() }
        startTrainingIfNew(interfaceSize: b.interfaceSize, epoch: b.epoch)
        if let s = sinceDraw, s.seconds < Self.redrawSeconds, b.batch < b.batches { return }
        sinceDraw = Stopwatch()
        let rate = Double(b.windows) / max(b.seconds, 1e-9)
        let eta = Self.remaining(b, completedEpochs: epochsDone, completedSeconds: elapsed)
        let line =
            "interface \(b.interfaceSize)  epoch \(b.epoch)/\(b.epochs)  batch \(b.batch)/\(b.batches)  "
            + "\(Int(rate)) win/s  ETA \(Self.time(eta))"
        write(Self.eraseLine + line)
        lineShown = true
    }

    /// The epoch's line (replacing the in-place line on a terminal).
    func epoch(_ r: EpochReport) {
        lock.lock()
        defer { lock.unlock() }
        startTrainingIfNew(interfaceSize: r.interfaceSize, epoch: r.epoch)
        elapsed += r.seconds
        epochsDone = r.epoch
        let left = Double(r.epochs - r.epoch) * (elapsed / Double(max(r.epoch, 1)))
        var line = "interface \(r.interfaceSize)  epoch \(r.epoch)/\(r.epochs)  loss \(Self.sci(r.trainingMSE))"
        if let v = r.validationMSE { line += "  val \(Self.sci(v))" }
        line += "  \(Int(r.windowsPerSecond)) win/s  \(Self.time(elapsed)) elapsed, ~\(Self.time(left)) left"
        write((lineShown ? Self.eraseLine : "") + line + "\n")
        lineShown = false
    }

    /// Clears the in-place line before another message is written, so that message starts a line.
    func interrupt() {
        lock.lock()
        defer { lock.unlock() }
        if lineShown { write(Self.eraseLine) }
        lineShown = false
    }

    /// A new interface size, or a retrained one, starts the time accounting afresh.
    private func startTrainingIfNew(interfaceSize size: Int, epoch: Int) {
        guard size != interfaceSize || epoch <= epochsDone else { return }
        interfaceSize = size
        elapsed = 0
        epochsDone = 0
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Seconds left in this training: the rest of this epoch at its own pace, then the epochs
    /// after it at the completed epochs' average (this epoch's projection before there is one).
    static func remaining(_ b: BatchProgress, completedEpochs: Int, completedSeconds: Double) -> Double {
        let done = Double(max(b.batch, 1)), total = Double(max(b.batches, 1))
        let thisEpoch = b.seconds * total / done
        let perEpoch = completedEpochs > 0 ? completedSeconds / Double(completedEpochs) : thisEpoch
        return (thisEpoch - b.seconds) + perEpoch * Double(max(b.epochs - b.epoch, 0))
    }

    static func sci(_ x: Double) -> String { ScientificNotation.string(x, decimals: 2) }

    static func time(_ s: Double) -> String {
        guard s.isFinite, s >= 0, s < 1e9 else { return "?" }
        return s < 60 ? "\((s * 10).rounded() / 10)s" : "\(Int(s) / 60)m\(Int(s) % 60)s"
    }
}
