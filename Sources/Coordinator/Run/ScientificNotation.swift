import Foundation

/// Errors as the run prints them, `1.234e-5`: every value prints, infinity and NaN included
/// (a plugin may answer anything finite; its squares can be huge).
public enum ScientificNotation {
    public static func string(_ x: Double, decimals: Int) -> String {
        guard x.isFinite, x != 0 else { return "\(x)" }
        let e = Int(floor(log10(abs(x))))
        let unit = pow(10, Double(decimals))
        return "\((x / pow(10, Double(e)) * unit).rounded() / unit)e\(e)"
    }
}
