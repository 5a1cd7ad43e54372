import Foundation
import XCTest

@testable import Coordinator

/// Models must load in Python, the users' other tool: files are exchanged both ways with
/// the reference `safetensors` package. Skipped (with the reason) where it is not installed.
final class SafeTensorsPythonInteropTests: XCTestCase {
    /// Runs python3 with `script` and `arguments`; returns (exit status, stdout, stderr).
    private func python(_ script: String, _ arguments: [String] = []) throws -> (Int32, String, String) {
        let directory = try DataTestDirectory()
        let errorPath = try directory.file("stderr.txt", "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        // A file, not a second pipe: a chatty stderr can then never block the child.
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw XCTSkip("python3 cannot be started: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errors)
    }

    private func requirePythonSafetensors() throws {
        let (status, _, errors) = try python("import numpy, safetensors.numpy")
        if status != 0 {
            throw XCTSkip(
                "python3 with the 'safetensors' and 'numpy' packages is not available (pip install safetensors numpy): \(errors.prefix(300))"
            )
        }
    }

    func testSwiftFileLoadsInPythonWithSameValues() throws {
        try requirePythonSafetensors()
        let directory = try DataTestDirectory()
        let path = directory.path + "/model.safetensors"
        let weights = (0..<12).map { Float($0) * 0.5 - 2.25 }
        let model = SafeTensors(
            tensors: [
                "encoder.weight": .init(shape: [3, 4], values: weights),
                "encoder.bias": .init(shape: [4], values: [1e-38, -3.0e38, 0, 1]),
                "empty": .init(shape: [0], values: []),
            ],
            metadata: ["window_size": "32", "plugin": "ann"])
        try model.write(path: path)
        let script = """
            import sys, json, numpy as np
            from safetensors import safe_open
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="np") as f:
                meta = f.metadata()
            out = {name: {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.ravel().tolist()} for name, a in t.items()}
            print(json.dumps({"tensors": out, "metadata": meta}))
            """
        let (status, text, errors) = try python(script, [path])
        XCTAssertEqual(status, 0, errors)
        XCTAssertEqual(errors, "", "python warned")
        struct Loaded: Decodable {
            struct Tensor: Decodable { var dtype: String; var shape: [Int]; var values: [Double] }
            var tensors: [String: Tensor]
            var metadata: [String: String]
        }
        let loaded = try JSONDecoder().decode(Loaded.self, from: Data(text.utf8))
        XCTAssertEqual(loaded.metadata, model.metadata)
        XCTAssertEqual(Set(loaded.tensors.keys), Set(model.tensors.keys))
        for (name, tensor) in model.tensors {
            XCTAssertEqual(loaded.tensors[name]?.dtype, "float32", name)
            XCTAssertEqual(loaded.tensors[name]?.shape, tensor.shape, name)
            XCTAssertEqual(loaded.tensors[name]?.values.map(Float.init), tensor.values, name)
        }
    }

    func testPythonFileLoadsInSwift() throws {
        try requirePythonSafetensors()
        let directory = try DataTestDirectory()
        let path = directory.path + "/from-python.safetensors"
        let script = """
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3) / 4, "b": np.array([-1.5], dtype=np.float32)},
                      sys.argv[1], metadata={"format": "np"})
            """
        let (status, _, errors) = try python(script, [path])
        XCTAssertEqual(status, 0, errors)
        let model = try SafeTensors.read(path: path)
        XCTAssertEqual(model.tensors["w"], .init(shape: [2, 3], values: [0, 0.25, 0.5, 0.75, 1, 1.25]))
        XCTAssertEqual(model.tensors["b"], .init(shape: [1], values: [-1.5]))
        XCTAssertEqual(model.metadata, ["format": "np"])
    }
}
