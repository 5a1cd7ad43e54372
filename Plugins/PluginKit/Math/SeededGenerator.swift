import FeatureExtractorSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic, platform-independent PRNG: xoshiro256** seeded through SplitMix64.
///
/// Swift's `SystemRandomNumberGenerator` is neither seedable nor reproducible,
/// and training runs must be: the same seed has to give bit-identical weights
/// on every platform. The integer stream, `nextFloat()` and `uniform` are pure
/// integer / IEEE arithmetic and therefore identical everywhere; `normal()` goes
/// through libm's `log`/`cos`, so it is reproducible on one platform but may
/// differ in the last bit between C libraries.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Expands `seed` into the 256-bit state with SplitMix64, as the xoshiro
    /// authors recommend (it never yields the forbidden all-zero state in practice
    /// and decorrelates nearby seeds such as 1, 2, 3).
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        (s0, s1, s2, s3) = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    /// Raw state constructor, for checking against the reference implementation.
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        (s0, s1, s2, s3) = state
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) on the 2^-24 grid: the top 24 bits fill the Float
    /// significand exactly, so there is no rounding up to 1.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [low, high). The affine map can round up to `high` itself;
    /// such results are pulled back to the largest Float below `high`.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        let r = low + (high - low) * nextFloat()
        return (high > low && r >= high) ? high.nextDown : r
    }

    /// Standard normal via Box-Muller (one of the pair is used, keeping the
    /// generator state to the four words). Computed in Double: u1 lies in
    /// (0, 1] on a 2^-53 grid, so the logarithm is always finite.
    public mutating func normal() -> Float {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
