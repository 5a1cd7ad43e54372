import FeatureExtractorSupport
import Foundation

/// `--loss-plot`: training and validation loss per epoch as an SVG picture, one pair of lines
/// per interface size trained (a search trains several), labelled, with ticked axes; the loss
/// axis is logarithmic when the losses span more than a decade.
///
/// Each line is a `<polyline>` with `class` "training" or "validation" and
/// `data-interface-size`, its vertices in epoch order (what the tests read back).
package struct LossPlot {
    /// One line: an interface size's losses per epoch (nil where an epoch has none).
    package struct Series: Equatable {
        package var interfaceSize: Int
        package var kind: String
        package var losses: [Double?]
    }

    package var series: [Series]

    package static let width = 820.0, height = 480.0
    private static let left = 90.0, right = 190.0, top = 40.0, bottom = 60.0
    private static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// The lines of a run's training: per interface size, the last training of that size (a search
    /// that shrinks past its threshold trains the chosen size again, with the same result).
    package init(_ training: [TrainingResult]) {
        var order: [Int] = []
        var last: [Int: TrainingResult] = [:]
        for result in training {
            if last[result.interfaceSize] == nil { order.append(result.interfaceSize) }
            last[result.interfaceSize] = result
        }
        series = order.flatMap { size -> [Series] in
            let epochs = last[size]!.epochs
            var lines = [Series(interfaceSize: size, kind: "training", losses: epochs.map(\.trainingMSE))]
            if epochs.contains(where: { $0.validationMSE != nil }) {
                lines.append(Series(interfaceSize: size, kind: "validation", losses: epochs.map(\.validationMSE)))
            }
            return lines
        }
    }

    /// Whether the loss axis is logarithmic: the drawable losses span more than a factor of 10.
    package var logarithmic: Bool {
        let values = drawable(logarithmic: true)
        guard let lo = values.min(), let hi = values.max() else { return false }
        return hi / lo > 10
    }

    private func drawable(logarithmic: Bool) -> [Double] {
        series.flatMap { $0.losses.compactMap { $0 } }.filter { $0.isFinite && (!logarithmic || $0 > 0) }
    }

    /// The whole SVG document.
    package func svg() -> String {
        let log = logarithmic
        let epochs = series.map(\.losses.count).max() ?? 0
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.left)" y="24" font-size="15">Loss per epoch (window MSE, normalised)</text>

            """
        let plot = (x0: Self.left, x1: Self.width - Self.right, y0: Self.top, y1: Self.height - Self.bottom)
        out += "<rect class=\"frame\" x=\"\(plot.x0)\" y=\"\(plot.y0)\" width=\"\(plot.x1 - plot.x0)\" "
        out += "height=\"\(plot.y1 - plot.y0)\" fill=\"none\" stroke=\"#444\"/>\n"
        let values = drawable(logarithmic: log)
        guard let lo = values.min(), let hi = values.max(), epochs > 0 else {
            out += "<text x=\"\((plot.x0 + plot.x1) / 2)\" y=\"\((plot.y0 + plot.y1) / 2)\" text-anchor=\"middle\">"
            out += "no epochs were trained</text>\n</svg>\n"
            return out
        }
        let yAxis = log ? Axis.logarithmic(lo, hi) : Axis.linear(lo, hi)
        let xAxis = Axis.epochs(epochs)
        func x(_ epoch: Double) -> Double { plot.x0 + (plot.x1 - plot.x0) * xAxis.fraction(epoch) }
        func y(_ loss: Double) -> Double { plot.y1 - (plot.y1 - plot.y0) * yAxis.fraction(loss) }

        for tick in xAxis.ticks {
            let px = Self.number(x(tick))
            out += "<line class=\"tick\" x1=\"\(px)\" y1=\"\(plot.y1)\" x2=\"\(px)\" y2=\"\(plot.y1 + 5)\" stroke=\"#444\"/>"
            out += "<text x=\"\(px)\" y=\"\(plot.y1 + 19)\" text-anchor=\"middle\">\(Int(tick))</text>\n"
        }
        for tick in yAxis.ticks {
            let py = Self.number(y(tick))
            out += "<line class=\"grid\" x1=\"\(plot.x0)\" y1=\"\(py)\" x2=\"\(plot.x1)\" y2=\"\(py)\" stroke=\"#ddd\"/>"
            out += "<line class=\"tick\" x1=\"\(plot.x0 - 5)\" y1=\"\(py)\" x2=\"\(plot.x0)\" y2=\"\(py)\" stroke=\"#444\"/>"
            out += "<text x=\"\(plot.x0 - 8)\" y=\"\(py)\" dy=\"4\" text-anchor=\"end\">"
            out += "\(ScientificNotation.string(tick, decimals: 1))</text>\n"
        }
        out += "<text x=\"\((plot.x0 + plot.x1) / 2)\" y=\"\(Self.height - 18)\" text-anchor=\"middle\">epoch</text>\n"
        out += "<text transform=\"translate(20 \((plot.y0 + plot.y1) / 2)) rotate(-90)\" text-anchor=\"middle\">"
        out += "loss (window MSE\(log ? ", log scale" : ""))</text>\n"

        let sizes = series.map(\.interfaceSize).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        for (index, line) in series.enumerated() {
            let color = Self.colors[(sizes.firstIndex(of: line.interfaceSize) ?? 0) % Self.colors.count]
            let points = line.losses.enumerated().compactMap { epoch, loss -> (Double, Double)? in
                guard let loss, loss.isFinite, !log || loss > 0 else { return nil }
                return (x(Double(epoch + 1)), y(loss))
            }
            let dash = line.kind == "validation" ? " stroke-dasharray=\"6 4\"" : ""
            out += "<polyline class=\"\(line.kind)\" data-interface-size=\"\(line.interfaceSize)\" fill=\"none\" "
            out += "stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\""
            out += points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ") + "\"/>\n"
            for (px, py) in points {
                out += "<circle cx=\"\(Self.number(px))\" cy=\"\(Self.number(py))\" r=\"2.5\" fill=\"\(color)\"/>"
            }
            out += "\n"
            let ly = plot.y0 + 10 + Double(index) * 20
            out += "<line x1=\"\(plot.x1 + 12)\" y1=\"\(ly)\" x2=\"\(plot.x1 + 40)\" y2=\"\(ly)\" stroke=\"\(color)\" "
            out += "stroke-width=\"2\"\(dash)/>"
            out +=
                "<text class=\"label\" x=\"\(plot.x1 + 46)\" y=\"\(ly)\" dy=\"4\">interface \(line.interfaceSize) \(line.kind)</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Writes the picture to `path` (a staged output: see `StagedOutputs`), atomically.
    package func write(to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(svg())
        try writer.commit()
    }

    /// Coordinates to two decimals: exact enough to draw, short enough to read.
    static func number(_ v: Double) -> String { String(format: "%.2f", v) }

    /// A numeric axis: its domain, its ticks, and where a value falls on it (0...1).
    struct Axis {
        var lower: Double
        var upper: Double
        var log: Bool
        var ticks: [Double]

        func fraction(_ v: Double) -> Double {
            let (a, b, t) = log ? (log10(lower), log10(upper), log10(v)) : (lower, upper, v)
            return b > a ? (t - a) / (b - a) : 0.5
        }

        /// Epochs 1...n, with at most about ten integer ticks.
        static func epochs(_ n: Int) -> Axis {
            let upper = max(n, 2)
            let step = max(1, Int((Double(upper) / 10).rounded(.up)))
            return Axis(
                lower: 1, upper: Double(upper), log: false, ticks: stride(from: 1, through: upper, by: step).map(Double.init))
        }

        /// Whole decades around the data, one tick each.
        static func logarithmic(_ lo: Double, _ hi: Double) -> Axis {
            let a = log10(lo).rounded(.down), b = max(log10(hi).rounded(.up), a + 1)
            return Axis(
                lower: pow(10, a), upper: pow(10, b), log: true, ticks: stride(from: a, through: b, by: 1).map { pow(10, $0) })
        }

        /// Round steps (1, 2 or 5 times a power of ten) around the data, about five ticks.
        static func linear(_ lo: Double, _ hi: Double) -> Axis {
            let span = hi > lo ? hi - lo : max(abs(hi), 1e-12)
            let raw = span / 5, magnitude = pow(10, log10(raw).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
            var lower = (lo / step).rounded(.down) * step, upper = (hi / step).rounded(.up) * step
            if upper <= lower { (lower, upper) = (lower - step, upper + step) }
            let count = Int(((upper - lower) / step).rounded())
            return Axis(lower: lower, upper: upper, log: false, ticks: (0...count).map { lower + Double($0) * step })
        }
    }
}
