/// The input rows a run writes (`--rows START:END` or `--shard I/N`): a shard of a run that a
/// cluster splits. Rows are data rows numbered from 0 (the header not counted), END exclusive.
///
/// A window belongs to the shard holding its last row (the row whose date its features
/// carry), and a reconstructed row to the shard holding that row; only the shard starting at
/// row 0 writes the header. So the shards' outputs, concatenated in order, are the bytes of
/// the single run, each window written exactly once.
public enum RowSelection: Sendable, Equatable, CustomStringConvertible {
    /// `--rows START:END`; `end` nil (`START:`) runs to the end of the input.
    case rows(start: Int, end: Int?)
    /// `--shard I/N`: part `index` (from 0) of `count` near-equal parts of the input's rows.
    case shard(index: Int, count: Int)

    public var description: String {
        switch self {
        case .rows(let start, let end): "rows \(start):\(end.map(String.init) ?? "")"
        case .shard(let index, let count): "shard \(index)/\(count)"
        }
    }

    /// Parses `START:END` (or `START:`), both whole numbers, START <= END.
    public static func rows(_ text: String) throws -> RowSelection {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = wholeNumber(parts[0]) else {
            throw ConfigurationError.invalid(
                key: "rows",
                reason: "takes START:END, data rows numbered from 0 with END excluded (e.g. 0:1000, or 1000: to the end), "
                    + "got '\(text.prefix(64))'")
        }
        if parts[1].isEmpty { return .rows(start: start, end: nil) }
        guard let end = wholeNumber(parts[1]) else {
            throw ConfigurationError.invalid(key: "rows", reason: "END must be a whole number, got '\(parts[1].prefix(64))'")
        }
        guard start <= end else {
            throw ConfigurationError.invalid(key: "rows", reason: "START (\(start)) is after END (\(end)) in '\(text)'")
        }
        return .rows(start: start, end: end)
    }

    /// Parses `I/N`: N parts, I from 0 to N-1.
    public static func shard(_ text: String) throws -> RowSelection {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = wholeNumber(parts[0]), let count = wholeNumber(parts[1]) else {
            throw ConfigurationError.invalid(
                key: "shard", reason: "takes I/N, part I (from 0) of N (e.g. 0/4 ... 3/4), got '\(text.prefix(64))'")
        }
        guard count >= 1 else { throw ConfigurationError.invalid(key: "shard", reason: "N must be at least 1, got '\(text)'") }
        guard index < count else {
            throw ConfigurationError.invalid(
                key: "shard", reason: "I counts from 0 and must be below N (0 to \(count - 1)), got '\(text)'")
        }
        return .shard(index: index, count: count)
    }

    /// Whether the range can only be known from the number of rows in the input.
    var needsRowCount: Bool {
        switch self {
        case .rows(_, let end): end == nil
        case .shard: true
        }
    }

    /// The rows selected, given the input's row count when it is known.
    /// - Throws: when the range reaches past the end of `file`.
    func range(totalRows: Int?, file: String) throws -> Range<Int> {
        switch self {
        case .rows(let start, let end):
            guard let end = end ?? totalRows else {
                throw ConfigurationError.invalid(key: "rows", reason: "internal: \(start): needs the row count of \(file)")
            }
            if let n = totalRows, end > n {
                throw ConfigurationError.invalid(
                    key: "rows",
                    reason: "\(start):\(end) reaches past the end of \(file), which has \(n) data rows (rows 0:\(n)); "
                        + "END is excluded, and START: runs to the end")
            }
            return start..<end
        case .shard(let index, let count):
            guard let n = totalRows else {
                throw ConfigurationError.invalid(
                    key: "shard", reason: "internal: \(index)/\(count) needs the row count of \(file)")
            }
            // The first n % count parts have one row more; no product can overflow.
            let (base, extra) = (n / count, n % count)
            let start = base * index + min(index, extra)
            return start..<(start + base + (index < extra ? 1 : 0))
        }
    }

    /// A whole number without sign or blanks, nil when it is not one or does not fit.
    private static func wholeNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
