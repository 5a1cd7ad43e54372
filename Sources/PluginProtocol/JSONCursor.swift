/// Reads the few plain JSON shapes of the training hot path, without Foundation or Codable.
///
/// It accepts a strict subset of JSON: ASCII strings without escapes, integers without a
/// fraction or exponent, `true`, `false`, `null`. Anything else makes a read return nil, and
/// the caller decodes the message with Codable instead, which stays the one authority on
/// what is valid and on every error message. So this reader can only be faster than the
/// general path, never more lenient.
struct JSONCursor {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Whether only whitespace is left.
    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// Consumes `byte`, after any whitespace.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string's bytes, without its quotes.
    mutating func string() -> UnsafeRawBufferPointer? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)])
            }
            guard b >= 0x20, b < 0x7F, b != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        return nil
    }

    /// Whether the next value is the string `expected`.
    mutating func string(is expected: StaticString) -> Bool {
        guard let s = string() else { return false }
        return JSONCursor.equal(s, expected)
    }

    /// An integer of at most 18 digits (so it cannot overflow), in JSON's form (no leading zero).
    mutating func integer() -> Int? {
        skipSpace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            // Checked before the product: an 18-digit value times ten would overflow `Int`.
            guard index - start < 18 else { return nil }
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
        return negative ? -value : value
    }

    /// An array of at most `limit` integers.
    mutating func integers(limit: Int) -> [Int]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var out: [Int] = []
        if consume(UInt8(ascii: "]")) { return out }
        repeat {
            guard out.count < limit, let n = integer() else { return nil }
            out.append(n)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? out : nil
    }

    mutating func bool() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    mutating func null() -> Bool { literal("null") }

    /// Walks an object: `member` gets each key and must read its value, or return false to give up.
    mutating func object(_ member: (inout JSONCursor, UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = string(), consume(UInt8(ascii: ":")), member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    static func equal(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return bytes.elementsEqual(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        skipSpace()
        let n = word.utf8CodeUnitCount
        guard bytes.count - index >= n,
            JSONCursor.equal(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + n)]), word)
        else { return false }
        index += n
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}

/// Writes the hot path's JSON straight into bytes (the counterpart of `JSONCursor`).
struct JSONBytes {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Whether `byte` can be written inside a JSON string as it is (printable ASCII, no quote or backslash).
    static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ n: Int) {
        // Up to 15 characters a String is stored inline: no allocation.
        bytes.append(contentsOf: String(n).utf8)
    }

    mutating func append(_ flag: Bool) { flag ? append("true") : append("false") }

    mutating func append(shape: [Int]) {
        bytes.append(UInt8(ascii: "["))
        for (i, d) in shape.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            append(d)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
