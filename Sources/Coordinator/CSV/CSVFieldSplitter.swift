/// One field of a CSV line, as a byte range into the line (no copying).
struct CSVField: Sendable, Equatable {
    /// Content bounds: without surrounding blanks, and without the quotes of a quoted field.
    var start: Int
    var end: Int
    /// The field was quoted and contains `""`, which stands for one `"`.
    var hasEscapedQuotes: Bool

    var isEmpty: Bool { start == end }
}

/// Why a line could not be split; the reader turns this into a located `DataError`.
enum CSVSplitFailure: Error, Equatable {
    /// `field` is 0-based.
    case unterminatedQuote(field: Int)
    case textAfterClosingQuote(field: Int)
    case tooManyFields(limit: Int)
}

/// Splits one physical line into fields: comma-separated, RFC 4180 quoting (`"a,b"`,
/// `"say ""hi"""`), blanks around fields ignored. A quoted field may not span lines: the
/// reader works line by line so that every error has an exact line number, and time
/// series files have no use for multi-line values.
enum CSVFieldSplitter {
    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22

    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Fills `fields` (cleared first; its capacity is reused between lines).
    static func split(
        _ line: UnsafeRawBufferPointer, into fields: inout [CSVField],
        maxFields: Int
    ) throws(CSVSplitFailure) {
        fields.removeAll(keepingCapacity: true)
        let count = line.count
        var i = 0
        while true {
            guard fields.count < maxFields else { throw .tooManyFields(limit: maxFields) }
            while i < count, isBlank(line[i]) { i += 1 }
            if i < count, line[i] == quote {
                let index = fields.count
                i += 1
                let contentStart = i
                var escaped = false
                var closed = false
                while i < count {
                    if line[i] == quote {
                        if i + 1 < count, line[i + 1] == quote {
                            escaped = true
                            i += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    i += 1
                }
                guard closed else { throw .unterminatedQuote(field: index) }
                fields.append(CSVField(start: contentStart, end: i, hasEscapedQuotes: escaped))
                i += 1
                while i < count, isBlank(line[i]) { i += 1 }
                if i == count { return }
                guard line[i] == comma else { throw .textAfterClosingQuote(field: index) }
                i += 1
            } else {
                let fieldStart = i
                while i < count, line[i] != comma { i += 1 }
                var fieldEnd = i
                while fieldEnd > fieldStart, isBlank(line[fieldEnd - 1]) { fieldEnd -= 1 }
                fields.append(CSVField(start: fieldStart, end: fieldEnd, hasEscapedQuotes: false))
                if i == count { return }
                i += 1
            }
        }
    }

    /// The field's text, with `""` turned back into `"`; invalid UTF-8 is replaced (names
    /// and dates are only displayed and copied, never interpreted).
    static func text(of field: CSVField, in line: UnsafeRawBufferPointer) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: line[field.start..<field.end])
        guard field.hasEscapedQuotes else { return String(decoding: bytes, as: UTF8.self) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            unescaped.append(bytes[i])
            i += (bytes[i] == quote && i + 1 < bytes.count && bytes[i + 1] == quote) ? 2 : 1
        }
        return String(decoding: unescaped, as: UTF8.self)
    }

    /// True for a line with nothing but blanks (treated as an empty line).
    static func isBlankLine(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy(isBlank)
    }
}
