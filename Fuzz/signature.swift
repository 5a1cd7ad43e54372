import Crypto
import Foundation
@testable import PluginHost

// The signature parsers: a detached signature file (`<file>.sig`) as `DetachedSignature.read`
// reads it and `verify` checks it, and a public key file as `PublicSigningKey.decode` reads
// it for `keys trust`. The first byte chooses which. A signature may only verify if its bytes
// are exactly the key's signature of the statement: the seed holds that signature, so the
// fuzzer works on inputs around a valid one.

/// A fixed key (raw bytes 1...32), trusted, and the manifest bytes it signed.
private let signer = SigningKey(
    name: "fuzz", privateKey: try! Curve25519.Signing.PrivateKey(rawRepresentation: Data(1...32)))
private let manifest = Data(#"{"name":"ann"}"#.utf8)
private let validSignature = try! DetachedSignature.sign(manifest, kind: .manifest, with: signer)

private struct OneKeyTrust: TrustStore {
    func trustedKey(id: String) throws -> TrustedPublicKey? {
        id == signer.id ? TrustedPublicKey(key: signer.publicKey, revoked: false) : nil
    }
    func highestVersion(plugin: String, keyID: String) throws -> String? { nil }
    func recordVersion(plugin: String, keyID: String, version: String) throws {}
}

private let path = "\(getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")/fe-fuzz-signature-\(getpid())/plugin.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Data(bytes: data + 1, count: size - 1)
    if data[0] & 1 == 1 {
        guard let key = try? PublicSigningKey.decode(bytes, source: "fuzz.pub") else { return 0 }
        guard key.raw.count == 32, key.id.count == 16 else { fatalError("accepted a malformed public key") }
        return 0
    }
    let directory = (path as NSString).deletingLastPathComponent
    mkdir(directory, 0o700)
    let fd = open(path + ".sig", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0, bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
        fatalError("cannot write \(path).sig: errno \(errno)")
    }
    close(fd)
    defer {
        unlink(path + ".sig")
        rmdir(directory)
    }
    let signature: DetachedSignature
    do {
        guard let read = try DetachedSignature.read(for: path) else { fatalError("the signature file was not found") }
        signature = read
    } catch is ProvenanceError {
        return 0
    } catch {
        fatalError("DetachedSignature.read threw \(type(of: error)): \(error)")
    }
    do {
        _ = try signature.verify(manifest, kind: .manifest, path: path, trust: OneKeyTrust())
    } catch is ProvenanceError {
        return 0
    } catch {
        fatalError("verify threw \(type(of: error)): \(error)")
    }
    guard Data(base64Encoded: signature.signature) == Data(base64Encoded: validSignature.signature) else {
        fatalError("a signature other than the key's own verified: \(signature.signature)")
    }
    return 0
}
