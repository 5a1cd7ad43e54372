// The safetensors parser as `SafeTensors.read(path:)` applies it to a model file's bytes (a
// model may come from anywhere). Whatever it accepts must serialise and parse back to the
// same tensors, bit for bit (NaN payloads included), and metadata.
//
// Built with Sources/Coordinator/SafeTensors and DataError compiled into this harness.

private func sameBits(_ a: SafeTensors, _ b: SafeTensors) -> Bool {
    guard a.metadata == b.metadata, a.tensors.keys.sorted() == b.tensors.keys.sorted() else { return false }
    return a.tensors.allSatisfy { name, tensor in
        guard let other = b.tensors[name], other.shape == tensor.shape else { return false }
        return other.values.map(\.bitPattern) == tensor.values.map(\.bitPattern)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed: SafeTensors
    do {
        parsed = try SafeTensors.parse(bytes, source: "fuzz.safetensors")
    } catch is DataError {
        return 0
    } catch {
        fatalError("SafeTensors.parse threw \(type(of: error)), not a DataError: \(error)")
    }
    for (name, tensor) in parsed.tensors {
        guard SafeTensors.elementCount(tensor.shape) == tensor.values.count else {
            fatalError("tensor '\(name)' has shape \(tensor.shape) but \(tensor.values.count) values")
        }
    }
    do {
        let again = try SafeTensors.parse(parsed.serialized(), source: "again")
        guard sameBits(again, parsed) else { fatalError("tensors changed in a round trip") }
    } catch {
        fatalError("accepted tensors do not round-trip: \(error)")
    }
    return 0
}
