/// A column of short texts (a CSV's dates) in one byte buffer: 10 million 19-character dates
/// take about 230 MB here, against some 640 MB as separate Swift strings, each on the heap.
/// Elements are made into `String`s when they are read.
package struct TextColumn: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    private var bytes: [UInt8] = []
    /// Where each text ends in `bytes` (it starts where the previous one ends).
    private var ends: [UInt32] = []

    package init() {}

    package init(_ texts: some Sequence<String>) {
        for text in texts { append(text) }
    }

    package init(arrayLiteral texts: String...) {
        self.init(texts)
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { ends.count }

    package subscript(position: Int) -> String {
        String(decoding: utf8(position), as: UTF8.self)
    }

    /// The text's bytes, without making a `String`.
    package func utf8(_ position: Int) -> ArraySlice<UInt8> {
        let start = position == 0 ? 0 : Int(ends[position - 1])
        return bytes[start..<Int(ends[position])]
    }

    package mutating func append(_ text: String) {
        var copy = text
        copy.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends raw UTF-8 bytes (a CSV field as read). The column holds at most 4 GiB of text.
    package mutating func append(_ utf8: UnsafeRawBufferPointer) {
        precondition(bytes.count + utf8.count <= Int(UInt32.max), "a text column holds at most 4 GiB")
        bytes.append(contentsOf: utf8)
        ends.append(UInt32(bytes.count))
    }

    package mutating func reserveCapacity(_ count: Int, bytesEach: Int) {
        ends.reserveCapacity(count)
        bytes.reserveCapacity(count * bytesEach)
    }

    /// The texts at `range`, as a column of their own.
    package func slice(_ range: Range<Int>) -> TextColumn {
        var out = TextColumn()
        out.reserveCapacity(range.count, bytesEach: range.isEmpty ? 0 : utf8(range.lowerBound).count)
        for i in range { utf8(i).withUnsafeBytes { out.append($0) } }
        return out
    }
}
