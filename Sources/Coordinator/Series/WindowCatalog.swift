/// The windows of every selected column, numbered as one sequence so batches
/// can mix columns: window `i` is column `i / perColumn`, start `i % perColumn`.
package struct WindowCatalog: Sendable {
    package let columns: [WindowSet]
    package let windowSize: Int

    /// - Parameter series: normalised columns of equal length, each at least `windowSize` long.
    package init(series: [[Float]], windowSize: Int) {
        self.columns = series.map { WindowSet(series: $0, windowSize: windowSize) }
        self.windowSize = windowSize
    }

    /// Windows per column (the columns share one length).
    package var perColumn: Int { columns.first?.count ?? 0 }
    package var count: Int { perColumn * columns.count }

    /// Copies windows `indices` row after row into `buffer` (resized to fit).
    package func fill(_ indices: ArraySlice<Int>, into buffer: inout [Float]) {
        let needed = indices.count * windowSize
        if buffer.count != needed { buffer = [Float](repeating: 0, count: needed) }
        let per = perColumn
        buffer.withUnsafeMutableBufferPointer { out in
            var row = 0
            for i in indices {
                let slice = UnsafeMutableBufferPointer(rebasing: out[(row * windowSize)..<((row + 1) * windowSize)])
                columns[i / per].fill(CollectionOfOne(i % per), into: slice)
                row += 1
            }
        }
    }
}
