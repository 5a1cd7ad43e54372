/// The outcome of one conformance item: `PASS <item>: <detail>` or `FAIL <item>: <reason>`.
public struct ConformanceItem: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var passed: Bool
    /// What was checked (on a pass) or what went wrong (on a failure).
    public var detail: String

    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }

    public var description: String { "\(passed ? "PASS" : "FAIL") \(name): \(detail)" }
}

/// Every item `feature-extractor plugin check` ran, in order.
public struct ConformanceReport: Sendable, CustomStringConvertible {
    public var items: [ConformanceItem]

    public init(items: [ConformanceItem] = []) { self.items = items }

    public var passed: Bool { !items.isEmpty && items.allSatisfy(\.passed) }

    /// The item of that name, if it ran.
    public func item(_ name: String) -> ConformanceItem? { items.first { $0.name == name } }

    /// One line per item.
    public var description: String { items.map(\.description).joined(separator: "\n") }
}
