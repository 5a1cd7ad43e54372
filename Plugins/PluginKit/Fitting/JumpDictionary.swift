import PluginProtocol

/// The state of the `jumps` code: a fitted principal basis of `components`
/// vectors, and the dictionary of unit steps ("the price jumped at step k")
/// projected off that basis and scaled to unit length.
///
/// Hourly prices move in heavy-tailed increments: a window is a smooth part
/// plus a few jumps. PCA spreads a jump over every component; one (position,
/// size) pair holds it exactly. The dictionary is derived from the basis, so
/// only the mean and the basis are state.
public final class JumpDictionary {
    public let windowSize: Int
    public let components: Int
    public let jumps: Int
    public let principal: PrincipalBasis
    /// `windowSize x (windowSize - 1)`: column k-1 is the unit step at position k, projected and normalised.
    private(set) var steps = Matrix(rows: 0, cols: 0)
    private var derivedFrom: [Float] = []

    public init(windowSize: Int, interfaceSize: Int, jumps: Int, name: String) {
        precondition(windowSize >= 2 && jumps >= 0 && interfaceSize - 2 * jumps >= 1, "JumpDictionary: sizes out of range")
        self.windowSize = windowSize
        self.jumps = jumps
        components = interfaceSize - 2 * jumps
        principal = PrincipalBasis(windowSize: windowSize, rank: components, name: name)
    }

    /// Jumps for an interface when a share of it is spent on them: at least one
    /// principal component is always kept.
    public static func jumps(interface: Int, share: Double) -> Int {
        min(Int((share * Double(interface) / 2).rounded()), (interface - 1) / 2)
    }

    public var weights: [Weight] { principal.weights }

    public func fit(_ statistics: TrainingStatistics) throws(RPCError) { try principal.fit(statistics) }

    /// The step dictionary for the current basis (rebuilt after a fit or an import).
    func currentSteps() -> Matrix {
        let basis = principal.basis.value
        if basis.values != derivedFrom {
            steps = Self.steps(basis: basis, windowSize: windowSize)
            derivedFrom = basis.values
        }
        return steps
    }

    /// `(I - P Pᵀ) t_k / ‖…‖` for the unit steps `t_k[i] = i >= k ? 1 : 0`, k = 1 ..< window.
    static func steps(basis p: Matrix, windowSize w: Int) -> Matrix {
        let d = p.cols
        var s = Matrix(rows: w, cols: w - 1)
        // Pᵀ t_k is the sum of P's rows from k on: suffix sums, in double.
        var suffix = [Double](repeating: 0, count: d)
        for k in stride(from: w - 1, through: 1, by: -1) {
            for j in 0..<d { suffix[j] += Double(p[k, j]) }
            var column = [Double](repeating: 0, count: w)
            var norm = 0.0
            for i in 0..<w {
                var v = i >= k ? 1.0 : 0.0
                for j in 0..<d { v -= Double(p[i, j]) * suffix[j] }
                column[i] = v
                norm += v * v
            }
            // A step the basis already holds adds nothing: its column stays zero and is never chosen.
            let scale = norm > 1e-12 ? 1 / norm.squareRoot() : 0
            for i in 0..<w { s[i, k - 1] = Float(column[i] * scale) }
        }
        return s
    }

    /// A feature's position, about [-1, 1], for step k in 1 ..< window (`JumpDecoding` inverts it).
    func position(ofStep k: Int) -> Float { Float(k) / Float(windowSize / 2) - 1 }
}
