/// Hidden-layer sizes that taper from a first size towards the interface,
/// as the original tool's plugins derived them.
public enum LayerSizes {
    /// `count` sizes: the first is `initial` (or `input / divisor` when `initial` is 0),
    /// each next one the previous divided by `divisor`, never below `floor`.
    /// Listed from the widest (next to the window) to the narrowest (next to the interface).
    public static func tapering(count: Int, input: Int, initial: Int, divisor: Int, floor: Int) -> [Int] {
        guard count > 0 else { return [] }
        var size = Swift.max(initial > 0 ? initial : input / Swift.max(divisor, 1), floor)
        var sizes: [Int] = []
        for _ in 0..<count {
            sizes.append(size)
            size = Swift.max(size / Swift.max(divisor, 1), floor)
        }
        return sizes
    }
}
