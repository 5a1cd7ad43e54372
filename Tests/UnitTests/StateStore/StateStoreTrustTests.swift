import Crypto
import FeatureExtractorSupport
import Foundation
import XCTest

@testable import StateStore

final class StateStoreTrustTests: XCTestCase {
    /// A new key, its id made as the signing code makes it (16 hex digits of SHA-256).
    private func key(name: String = "Plugin Vendor", idDigits: Int = 16) -> TrustedKey {
        let raw = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        return TrustedKey(
            id: String(SHA256.hash(data: raw).hex.prefix(idDigits)), publicKey: raw.base64EncodedString(),
            name: name, addedAt: Timestamp.truncated(Date()))
    }

    func testTrustRevokeAndTrustAgain() throws {
        let directory = try StateStoreTestDirectory()
        let clock = StateStoreTestClock()
        let store = try StateStore.open(path: directory.file(), busyTimeout: 5, now: clock.now)
        let vendor = key()
        try store.trustKey(vendor)
        XCTAssertEqual(try store.trustedKey(id: vendor.id), vendor)
        XCTAssertEqual(try store.trustedKeys(), [vendor])

        clock.advance(by: 10)
        try store.revokeKey(id: vendor.id)
        XCTAssertEqual(try store.trustedKey(id: vendor.id)?.revokedAt, clock.date)
        clock.advance(by: 10)
        try store.revokeKey(id: vendor.id)
        XCTAssertEqual(
            try store.trustedKey(id: vendor.id)?.revokedAt, clock.date.addingTimeInterval(-10), "the first revocation date stays")

        var renamed = vendor
        renamed.name = "Plugin Vendor GmbH"
        try store.trustKey(renamed)
        XCTAssertEqual(try store.trustedKey(id: vendor.id), renamed, "trusted again, renamed, original date kept")

        var impostor = key(name: "Impostor")
        impostor.id = vendor.id
        assertStoreError(
            try store.trustKey(impostor),
            .invalid(
                what: "key \(vendor.id)",
                reason: "the id is not derived from the public key (a prefix of its SHA-256)"))
        XCTAssertEqual(try store.trustedKey(id: vendor.id)?.publicKey, vendor.publicKey)
        assertStoreError(try store.revokeKey(id: "ffffffff"), .notFound(what: "key 'ffffffff'"))
        XCTAssertNil(try store.trustedKey(id: "ffffffff"))
    }

    func testKeysAreValidated() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        var bad = key()
        bad.id = bad.id.uppercased()
        XCTAssertThrowsError(try store.trustKey(bad))
        bad = key()
        bad.id = String(bad.id.prefix(7))
        XCTAssertThrowsError(try store.trustKey(bad))
        bad = key()
        bad.publicKey = Data(count: 31).base64EncodedString()
        XCTAssertThrowsError(try store.trustKey(bad))
        bad = key(name: "")
        XCTAssertThrowsError(try store.trustKey(bad))
        bad = key(name: "two\nlines")
        XCTAssertThrowsError(try store.trustKey(bad))
        XCTAssertEqual(try store.trustedKeys(), [])
        let short = key(idDigits: 8)
        let full = key(idDigits: 64)
        try store.trustKey(short)
        try store.trustKey(full)
        XCTAssertEqual(try store.trustedKeys(), [short, full].sorted { $0.id < $1.id })
    }

    func testHighestVersionKeepsTheNumericMaximum() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        let vendor = key()
        let other = key()
        try store.trustKey(vendor)
        try store.trustKey(other)
        XCTAssertNil(try store.highestVersion(plugin: "ann", keyID: vendor.id))
        try store.recordVersion(plugin: "ann", keyID: vendor.id, version: "1.9.0")
        try store.recordVersion(plugin: "ann", keyID: vendor.id, version: "1.10.0")
        try store.recordVersion(plugin: "ann", keyID: vendor.id, version: "1.9.9")
        try store.recordVersion(plugin: "ann", keyID: vendor.id, version: "1.10.0")
        XCTAssertEqual(try store.highestVersion(plugin: "ann", keyID: vendor.id), "1.10.0")
        try store.recordVersion(plugin: "ann", keyID: vendor.id, version: "2.0.0")
        XCTAssertEqual(try store.highestVersion(plugin: "ann", keyID: vendor.id), "2.0.0")
        // Per plugin and per key.
        XCTAssertNil(try store.highestVersion(plugin: "ann", keyID: other.id))
        XCTAssertNil(try store.highestVersion(plugin: "lstm", keyID: vendor.id))
        for version in ["1.2", "1.2.3.4", "v1.2.3", "1.2.-3", "1.2.3-beta", ""] {
            XCTAssertThrowsError(try store.recordVersion(plugin: "ann", keyID: vendor.id, version: version), version)
        }
        assertStoreError(
            try store.recordVersion(plugin: "ann", keyID: "deadbeef", version: "1.0.0"), .notFound(what: "key 'deadbeef'"))
    }
}
