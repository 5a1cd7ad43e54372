import Foundation

/// How many encoder processes compute the features of a run side by side.
///
/// A plugin computes on one thread, so the features of a long input are computed by copies
/// of the encoder in several processes, one per core. A copy costs a process start and a state
/// transfer (tens of milliseconds), so small inputs keep one.
package enum EncodeProcesses {
    /// Windows from which the automatic choice uses more than one process (about a second of
    /// encoding on one core for the default model).
    package static let automaticFromWindows = 200_000
    /// The most processes the automatic choice starts.
    package static let automaticMaximum = 4

    /// `configured` when the operator set it, else one per core (up to the maximum) for
    /// `windows` of at least `automaticFromWindows`, else one. Never more than batches to encode.
    package static func count(
        configured: Int?, windows: Int, batch: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount
    )
        -> Int
    {
        let batches = max(1, (windows + batch - 1) / max(batch, 1))
        let wanted = configured ?? (windows >= automaticFromWindows ? min(max(cores, 1), automaticMaximum) : 1)
        return max(1, min(wanted, batches))
    }
}
