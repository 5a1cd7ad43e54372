import FeatureExtractorSupport
import Foundation

/// What the launcher said about one plugin's confinement, read from its report pipe.
/// The plugin itself cannot write there: it never has that descriptor.
struct SandboxReport: Equatable {
    /// The forbidden system call that stopped the plugin.
    var violation: String?
    /// A required mechanism the kernel lacked, and why (the launch was refused).
    var unavailable: (mechanism: String, reason: String)?
    /// Mechanisms that were missing but not required: the plugin ran less confined.
    var weaker: [String] = []
    /// Why the launcher could not use the policy it was given (the launch was refused).
    var policyProblem: String?

    static func == (a: SandboxReport, b: SandboxReport) -> Bool {
        a.violation == b.violation && a.unavailable?.mechanism == b.unavailable?.mechanism && a.weaker == b.weaker
            && a.policyProblem == b.policyProblem
    }

    /// Reads what is in the pipe now (non-blocking, bounded).
    static func read(fd: Int32) -> SandboxReport {
        var report = SandboxReport()
        guard fd >= 0 else { return report }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 64 * 1024 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard let kind = parts.first, parts.count >= 2 else { continue }
            switch kind {
            case "violation": report.violation = DisplayText.escaped(parts[1], limit: 64)
            case "unavailable": report.unavailable = (parts[1], parts.count > 2 ? DisplayText.escaped(parts[2], limit: 300) : "")
            case "policy": report.policyProblem = DisplayText.escaped(parts.dropFirst().joined(separator: " "), limit: 300)
            case "weaker": report.weaker.append(DisplayText.escaped(parts.dropFirst().joined(separator: " "), limit: 300))
            default: continue
            }
        }
        return report
    }
}
