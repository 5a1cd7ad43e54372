import Foundation

/// Runs `feature-extractor` as a real child process and captures everything it prints.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum CommandRunner {
    /// `combined`: standard output and error are one pipe, as in a `2>&1` log; `stdout` then holds both.
    /// `wrapper`: a command that runs the tool, given its path and arguments after its own (a shell
    /// that lowers a limit first, say).
    public static func run(
        _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = [:], combined: Bool = false, wrapper: [String] = []
    ) throws -> CommandResult {
        let process = Process()
        let tool = BuiltProducts.executable("feature-extractor")
        process.executableURL = URL(fileURLWithPath: wrapper.first ?? tool)
        process.arguments = wrapper.isEmpty ? arguments : Array(wrapper.dropFirst()) + [tool] + arguments
        var env = ProcessInfo.processInfo.environment
        env["FEATURE_EXTRACTOR_PLUGINS"] = TestPlugins.directory
        env["FEATURE_EXTRACTOR_POLICY"] = BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path
        env["FEATURE_EXTRACTOR_HOME"] = TestPlugins.home
        env.removeValue(forKey: "FEATURE_EXTRACTOR_DB")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = combined ? out : err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if combined { try err.fileHandleForWriting.close() }
        // Drain both pipes concurrently so a chatty child never blocks.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
}

/// A fresh temporary directory, removed by `remove()`.
public struct TemporaryDirectory {
    public let path: String

    public init() throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("fe-test-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: p)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Names of the files in the directory, hidden ones included, sorted.
    public func contents() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
