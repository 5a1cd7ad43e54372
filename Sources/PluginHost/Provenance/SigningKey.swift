import Crypto
import FeatureExtractorSupport
import Foundation

/// An Ed25519 key pair for signing plugin manifests and models.
///
/// The private key lives in a file of mode 0600 that this type refuses to read
/// when anyone else could; it is never printed. A key is named by its id: the
/// first 16 hex digits of the SHA-256 of the raw public key.
public struct SigningKey: Sendable {
    public let name: String
    let privateKey: Curve25519.Signing.PrivateKey

    public var publicKey: PublicSigningKey { PublicSigningKey(raw: privateKey.publicKey.rawRepresentation, name: name) }
    public var id: String { publicKey.id }

    public static func generate(name: String) -> SigningKey {
        SigningKey(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    public func sign(_ data: Data) throws -> Data {
        try privateKey.signature(for: data)
    }

    /// Writes the private key (mode 0600, never over an existing file) and the public key beside it (`.pub`).
    public func write(to path: String) throws {
        let file = KeyFile(algorithm: "ed25519", name: name, key: privateKey.rawRepresentation.base64EncodedString())
        try Self.createExclusive(path, contents: try JSONEncoder().encode(file), mode: 0o600)
        try Self.createExclusive(path + ".pub", contents: try publicKey.encoded(), mode: 0o644)
    }

    /// Reads a private key, refusing one that group or others could read.
    public static func load(path: String) throws -> SigningKey {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ProvenanceError.key(path, "cannot be read") }
        guard st.st_mode & 0o077 == 0 else {
            throw ProvenanceError.key(
                path, "is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 600 on it")
        }
        let data = try PluginLocator.readLimited(path, limit: 4096)
        guard let file = try? JSONDecoder().decode(KeyFile.self, from: data), file.algorithm == "ed25519",
            let raw = Data(base64Encoded: file.key), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw ProvenanceError.key(path, "is not an ed25519 private key file")
        }
        return SigningKey(name: file.name, privateKey: key)
    }

    static func createExclusive(_ path: String, contents: Data, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw ProvenanceError.key(
                path,
                errno == EEXIST
                    ? "already exists; refusing to overwrite a key" : "cannot be created (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        fchmod(fd, mode)
        let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == contents.count, fsync(fd) == 0 else {
            unlink(path)
            throw ProvenanceError.key(path, "could not be written")
        }
    }

    private struct KeyFile: Codable {
        var algorithm: String
        var name: String
        var key: String
    }
}

/// An Ed25519 public key with a human name.
public struct PublicSigningKey: Sendable, Equatable, Codable {
    public let raw: Data
    public let name: String

    public init(raw: Data, name: String) {
        self.raw = raw
        self.name = name
    }

    /// The first 16 hex digits of SHA-256(raw key): short enough to read, long enough not to collide by chance.
    public var id: String { Self.id(of: raw) }

    public static func id(of raw: Data) -> String {
        SHA256.hash(data: raw).prefix(8).hex
    }

    public func isValidSignature(_ signature: Data, for data: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: data)
    }

    /// `.pub` file contents: JSON with the algorithm, name, id and base64 key.
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(PublicFile(algorithm: "ed25519", name: name, id: id, key: raw.base64EncodedString()))
            + Data("\n".utf8)
    }

    /// Reads a `.pub` file (or its text).
    public static func decode(_ data: Data, source: String) throws -> PublicSigningKey {
        guard let f = try? JSONDecoder().decode(PublicFile.self, from: data), f.algorithm == "ed25519",
            let raw = Data(base64Encoded: f.key), raw.count == 32,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil
        else {
            throw ProvenanceError.key(source, "is not an ed25519 public key file")
        }
        guard f.id == id(of: raw) else { throw ProvenanceError.key(source, "its id does not match its key") }
        return PublicSigningKey(raw: raw, name: f.name)
    }

    private struct PublicFile: Codable {
        var algorithm: String
        var name: String
        var id: String
        var key: String
    }
}
