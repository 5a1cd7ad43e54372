/// The run's data, read, split and normalised.
///
/// Normalisation statistics come from the training part only (or from the
/// loaded model), so validation data never leaks into them.
struct PreparedData {
    var input: TimeSeriesTable
    var stats: NormalizationStats
    /// Every window of the input, for the features output.
    var inputWindows: WindowCatalog
    var training: WindowCatalog?
    var validation: WindowCatalog?
    /// What `evaluate_encoder` / `evaluate_decoder` describe: the validation file, else the input.
    var evaluation: TimeSeriesTable
    var evaluationWindows: WindowCatalog
    /// A shard's place in the input (`--rows`, `--shard`); nil for the whole input.
    var shard: ShardRows? = nil

    /// The input file and how to read it: the whole input and a shard read it alike.
    static func inputSource(_ config: RunConfiguration) throws -> (path: String, options: CSVOptions) {
        guard let path = config.inputFile else {
            throw ConfigurationError.invalid(key: "input_file", reason: "no input file given")
        }
        var options = CSVOptions()
        options.header = config.headers.map { $0 ? .present : .absent } ?? .auto
        options.columns = config.columns
        options.keepDates = config.forceDate  // only dated outputs need them
        return (path, options)
    }

    static func load(
        _ config: RunConfiguration, windowSize: Int, modelStats: NormalizationStats?,
        info: (String) -> Void
    ) throws -> PreparedData {
        let (inputPath, options) = try inputSource(config)
        var input = try CSVReader.read(path: inputPath, options: options)
        if let max = config.maxSteps, input.rowCount > max { input = input.prefix(max) }
        try CSVReader.ensureRows(input, atLeast: windowSize, file: inputPath)

        var validationTable: TimeSeriesTable?
        var trainingTable = input
        if let path = config.validationFile {
            let v = try CSVReader.read(path: path, options: options)
            guard v.columnNames == input.columnNames else {
                throw DataError(
                    file: path,
                    message:
                        "has columns [\(v.columnNames.joined(separator: ", "))], the input has [\(input.columnNames.joined(separator: ", "))]"
                )
            }
            try CSVReader.ensureRows(v, atLeast: windowSize, file: path)
            validationTable = v
        } else if config.validationSplit > 0 && modelStats == nil {
            // Chronological split: the last rows validate, as they would in production.
            let cut = Int(Double(input.rowCount) * (1 - config.validationSplit))
            if cut >= windowSize && input.rowCount - cut >= windowSize {
                trainingTable = input.prefix(cut)
                validationTable = input.suffix(from: cut)
            } else {
                info(
                    "note: too few rows for a \(Int(config.validationSplit * 100))% validation split with window \(windowSize); training without validation"
                )
            }
        }

        let stats = modelStats ?? NormalizationStats.fit(trainingTable, method: config.normalizationMethod ?? .minmax)
        try stats.validate(against: input.columnNames, source: inputPath)
        let evaluation = config.validationFile != nil ? validationTable! : input
        func windows(_ t: TimeSeriesTable) -> WindowCatalog { WindowCatalog(series: stats.normalize(t), windowSize: windowSize) }
        let inputWindows = windows(input)
        return PreparedData(
            input: input, stats: stats, inputWindows: inputWindows,
            training: modelStats == nil
                ? (validationTable != nil && config.validationFile == nil ? windows(trainingTable) : inputWindows) : nil,
            validation: validationTable.map(windows),
            evaluation: evaluation,
            evaluationWindows: config.validationFile != nil ? windows(evaluation) : inputWindows)
    }
}

extension TimeSeriesTable {
    /// The first `n` rows.
    func prefix(_ n: Int) -> TimeSeriesTable {
        TimeSeriesTable(
            columnNames: columnNames, columns: columns.map { Array($0.prefix(n)) }, dates: dates.map { $0.slice(0..<n) },
            rowCount: n, dateColumnName: dateColumnName)
    }

    /// The rows from `start` on.
    func suffix(from start: Int) -> TimeSeriesTable {
        TimeSeriesTable(
            columnNames: columnNames, columns: columns.map { Array($0[start...]) },
            dates: dates.map { $0.slice(start..<rowCount) },
            rowCount: rowCount - start, dateColumnName: dateColumnName)
    }
}
