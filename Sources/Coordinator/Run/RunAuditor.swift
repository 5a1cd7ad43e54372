import Foundation
import StateStore

/// Writes one run's audit trail, accounting and statistics to the store.
///
/// Every write that fails fails the run: auditing is never silently off.
struct RunAuditor {
    let store: StateStore
    let actor: String

    func record(_ action: String, target: String, _ outcome: AuditOutcome, _ details: [String: String] = [:]) throws {
        try store.append(AuditEvent(actor: actor, action: action, target: target, outcome: outcome, details: details))
    }

    /// The statistics rows of a finished run: one per column, plus one per trained interface size.
    static func statistics(_ s: RunSummary) -> [RunStatistic] {
        let seconds = s.training.map(\.trainingSeconds).reduce(0, +)
        let rate = s.training.last?.epochs.last?.windowsPerSecond
        var rows = s.metrics.map {
            RunStatistic(
                column: $0.column, interfaceSize: s.interfaceSize, epochs: s.training.last?.epochs.count ?? 0,
                mse: $0.mse, mae: $0.mae, windowMSE: $0.windowMSE, baselineMSE: $0.baselineWindowMeanMSE,
                pcaBaselineMSE: $0.baselinePCAMSE, trainingSeconds: seconds, windowsPerSecond: rate)
        }
        rows += s.training.map {
            RunStatistic(
                column: nil, interfaceSize: $0.interfaceSize, epochs: $0.epochs.count, mse: nil, mae: nil,
                windowMSE: $0.validationMSE, baselineMSE: nil, trainingSeconds: $0.trainingSeconds,
                windowsPerSecond: $0.epochs.last?.windowsPerSecond)
        }
        return rows
    }
}
