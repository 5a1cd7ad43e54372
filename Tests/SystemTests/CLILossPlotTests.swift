import Foundation
import TestSupport
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `--loss-plot`: the SVG is parsed back and its lines checked against the run's own log.
final class CLILossPlotTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func small(_ extra: [String]) -> [String] {
        [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1200", "--window-size", "16",
            "--epochs", "4", "--early-stopping-patience", "0", "--output-file", dir.file("f.csv"),
        ] + extra
    }

    func testASearchDrawsOneLabelledPairOfLinesPerSizeInTheProportionsOfTheLoggedLosses() throws {
        // Unreachable threshold: the search grows 4, 10, 16 and trains each.
        let r = try CommandRunner.run(
            small([
                "--threshold-error", "1e-12", "--initial-size", "4", "--step-size", "6", "--loss-plot", dir.file("loss.svg"),
                "--save-log", dir.file("log.json"),
            ]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote \(dir.file("loss.svg"))"), r.stdout)
        let svg = try SVGLines(path: dir.file("loss.svg"))
        let log = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("log.json")))) as? [String: Any])
        var logged: [String: [Double]] = [:]
        for result in try XCTUnwrap(log["training"] as? [[String: Any]]) {
            let size = try XCTUnwrap(result["interface_size"] as? Int)
            let epochs = try XCTUnwrap(result["epochs"] as? [[String: Any]])
            logged["training \(size)"] = epochs.map { $0["training_mse"] as! Double }
            logged["validation \(size)"] = epochs.map { $0["validation_mse"] as! Double }
        }
        XCTAssertEqual(Set(logged.keys.map { $0.split(separator: " ")[1] }), ["4", "10", "16"])
        XCTAssertEqual(Set(svg.lines.keys), Set(logged.keys), "one training and one validation line per size")
        for key in logged.keys {
            XCTAssertTrue(svg.labels.contains("interface \(key.split(separator: " ")[1]) \(key.split(separator: " ")[0])"))
        }

        // The loss axis: logarithmic exactly when the losses span more than a decade.
        let all = logged.values.flatMap { $0 }
        let log10Scale = all.max()! / all.min()! > 10
        XCTAssertEqual(svg.axisLabel.contains("log scale"), log10Scale, svg.axisLabel)
        let f: (Double) -> Double = log10Scale ? { log10($0) } : { $0 }
        // Every vertex of every line lies on one affine map of (epoch, loss) (rounding: 0.01 px).
        var pairs: [(value: Double, y: Double)] = []
        var xs: [(epoch: Double, x: Double)] = []
        for (key, losses) in logged {
            let points = try XCTUnwrap(svg.lines[key])
            XCTAssertEqual(points.count, losses.count, "a vertex per logged epoch: \(key)")
            for (i, p) in points.enumerated() {
                pairs.append((f(losses[i]), p.y))
                xs.append((Double(i + 1), p.x))
            }
        }
        let (ay, by) = Self.fit(pairs.map { ($0.value, $0.y) })
        XCTAssertLessThan(by, 0, "a larger loss is drawn higher")
        for p in pairs { XCTAssertEqual(p.y, ay + by * p.value, accuracy: 0.02) }
        let (ax, bx) = Self.fit(xs.map { ($0.epoch, $0.x) })
        XCTAssertGreaterThan(bx, 0, "epochs left to right")
        for p in xs { XCTAssertEqual(p.x, ax + bx * p.epoch, accuracy: 0.02) }
        XCTAssertGreaterThanOrEqual(svg.ticks, 6, "ticks on both axes")
    }

    func testAFailedRunLeavesNoPlotAndAPNGNameIsRefusedUpFront() throws {
        let failed = try CommandRunner.run(
            small(["--initial-size", "4", "--encoder-plugin", "crash-mid-training", "--loss-plot", dir.file("loss.svg")]))
        XCTAssertEqual(failed.status, 69, failed.stderr)
        XCTAssertEqual(dir.contents(), [], "no plot, final or staged, after a failed run")

        let png = try CommandRunner.run(small(["--initial-size", "4", "--loss-plot", dir.file("loss.png")]))
        XCTAssertEqual(png.status, 64, png.stderr)
        XCTAssertTrue(png.stderr.contains("loss_plot") && png.stderr.contains(".svg"), png.stderr)
        XCTAssertFalse(png.stderr.contains("epoch 1/"), "refused before training")
    }

    /// Least squares y = a + b x.
    static func fit(_ points: [(Double, Double)]) -> (Double, Double) {
        let n = Double(points.count)
        let mx = points.map(\.0).reduce(0, +) / n, my = points.map(\.1).reduce(0, +) / n
        let sxy = points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
        let sxx = points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        let b = sxy / sxx
        return (my - b * mx, b)
    }
}

/// The parts of a loss plot a test checks, read with a strict XML parser.
private final class SVGLines: NSObject, XMLParserDelegate {
    /// "training 16" -> vertices in document order.
    var lines: [String: [(x: Double, y: Double)]] = [:]
    var labels: [String] = []
    var axisLabel = ""
    var ticks = 0
    private var text: String?
    private var isLabel = false

    init(path: String) throws {
        super.init()
        let parser = try XCTUnwrap(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        switch name {
        case "polyline":
            let key = "\(attributes["class"] ?? "?") \(attributes["data-interface-size"] ?? "?")"
            lines[key] = (attributes["points"] ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
        case "line" where attributes["class"] == "tick": ticks += 1
        case "text":
            text = ""
            isLabel = attributes["class"] == "label"
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard name == "text", let t = text else { return }
        if isLabel { labels.append(t) }
        if t.hasPrefix("loss (") { axisLabel = t }
        text = nil
    }
}
