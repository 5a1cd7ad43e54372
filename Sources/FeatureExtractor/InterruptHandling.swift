import Coordinator
import Foundation
import PluginHost

/// SIGINT and SIGTERM end a run at once, whatever it is waiting for (a plugin, a server that
/// trickles its answer): every staged output and plugin working directory is removed, as for a failed run, and the process
/// exits 128 + the signal. Plugins die with the coordinator (their launcher's supervisor sees it end).
enum InterruptHandling {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                StagedFiles.shared.removeAll()
                PluginWorkingDirectories.removeThisProcesses()
                FileHandle.standardError.write(
                    Data("feature-extractor: stopped by \(name): no output was written, staged files removed\n".utf8))
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
