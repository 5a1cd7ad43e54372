import Foundation
import RemoteClient
import StateStore

/// A real `feature-extractor serve` on 127.0.0.1 with a certificate made for the test,
/// its own database, and an operator's and a viewer's token.
public final class TestServer: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    public let operatorToken: String
    public let viewerToken: String
    public var certificate: String { directory.file("cert.pem") }
    public var database: String { directory.file("server.sqlite") }
    private let process: Process

    public func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    /// The server process's id (to read its memory use).
    public var pid: Int32 { process.processIdentifier }

    public init(rate: Double = 200, extraArguments: [String] = []) throws {
        directory = try TemporaryDirectory()
        let dir = directory
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            throw TestServerError.missing("openssl (apt-get install openssl) makes the test certificate")
        }
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        gen.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.file("key.pem"),
            "-out", dir.file("cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        gen.standardError = FileHandle.nullDevice
        try gen.run()
        gen.waitUntilExit()
        let store = try StateStore.open(path: dir.file("server.sqlite"))
        _ = try store.addUser(name: "ops", role: .operator, password: nil)
        _ = try store.addUser(name: "viewer", role: .viewer, password: nil)
        operatorToken = try store.issueToken(for: "ops", label: "test", expiresAt: nil).token
        viewerToken = try store.issueToken(for: "viewer", label: "test", expiresAt: nil).token

        process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.executable("feature-extractor"))
        process.arguments =
            [
                "serve", "--port", "0", "--cert", dir.file("cert.pem"), "--key", dir.file("key.pem"),
                "--db", dir.file("server.sqlite"), "--storage", dir.file("models"), "--rate", String(rate),
            ] + extraArguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: Int?
        let handle = out.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while found == nil && Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                let p = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                found = p
            }
        }
        guard let found else {
            process.terminate()
            throw TestServerError.missing("the server did not start: \(text)")
        }
        port = found
    }

    public func client(_ token: String, configure: (inout RemoteClientConfiguration) -> Void = { _ in }) throws -> RemoteClient {
        var c = RemoteClientConfiguration()
        c.caFile = certificate
        configure(&c)
        return try RemoteClient(token: token, configuration: c)
    }

    public func stop() {
        if process.isRunning {
            process.interrupt()
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        directory.remove()
    }
}

public enum TestServerError: Error, CustomStringConvertible {
    case missing(String)
    public var description: String {
        switch self {
        case .missing(let why): "test server: \(why)"
        }
    }
}

/// A second server process with the first one's database and certificate, on a given port (0: any,
/// read from its output): the same server after a restart, or another host the same CA vouches for.
public final class TestServerOnPort: @unchecked Sendable {
    private let process: Process
    public private(set) var port: Int

    public init(port: Int, like s: TestServer, extraArguments: [String] = []) throws {
        self.port = port
        process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.executable("feature-extractor"))
        process.arguments =
            [
                "serve", "--port", String(port), "--cert", s.certificate, "--key", s.directory.file("key.pem"),
                "--db", s.database, "--storage", s.directory.file("models"),
            ] + extraArguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var text = ""
        while !text.contains("\n"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
            let p = line.split(separator: ":").last.flatMap({ Int($0) })
        {
            self.port = p
        }
    }

    public func stop() {
        if process.isRunning { process.interrupt(); process.waitUntilExit() }
    }

    deinit { stop() }
}
