import Foundation

/// The plugins' private working directories (`fe-plugin-PID-*` in the temporary directory).
public enum PluginWorkingDirectories {
    /// Removes this process's own, for a coordinator ending on a signal: its plugins die with it
    /// (PR_SET_PDEATHSIG) and will not need them.
    public static func removeThisProcesses() {
        let tmp = NSTemporaryDirectory()
        let prefix = "\(ChildProcess.workingDirectoryPrefix)\(getpid())-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: (tmp as NSString).appendingPathComponent(name))
        }
    }
}
