import Crypto
import FeatureExtractorSupport
import Foundation

/// SHA-256 of a text's UTF-8 bytes, in lowercase hex.
func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).hex
}

/// Compares two byte strings in time that depends only on their lengths, never on where
/// they first differ, so that a hash comparison does not leak how much of a guess was right.
func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) {
        difference |= x ^ y
    }
    return difference == 0
}
