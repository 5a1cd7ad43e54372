/// Recognises the original tool's Keras model files, so loading one says what it is rather
/// than failing on a missing signature or a bad safetensors header.
enum KerasModelFile {
    static let extensions = [".h5", ".hdf5", ".keras"]
    private static let hdf5Magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// True for a Keras name, or HDF5 contents under any name.
    static func matches(path: String, bytes: [UInt8]) -> Bool {
        hasKerasName(path) || bytes.starts(with: hdf5Magic)
    }

    static func hasKerasName(_ path: String) -> Bool {
        let lower = path.lowercased()
        return extensions.contains { lower.hasSuffix($0) }
    }

    static func notSupported(_ path: String) -> DataError {
        DataError(
            file: path,
            message:
                "format not supported (Keras .h5/.keras files are not read; this tool reads the signed safetensors models it "
                + "writes: train here with --save-encoder NAME.safetensors)")
    }
}
