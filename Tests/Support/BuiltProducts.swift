import Foundation

/// Where `swift build` put the executables the tests run for real.
public enum BuiltProducts {
    /// The build directory holding `feature-extractor` and the plugin executables.
    public static let directory: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            repositoryRoot.appendingPathComponent(".build/debug"),
        ]
        return candidates.first {
            FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("feature-extractor").path)
        }
            ?? candidates[2]
    }()

    public static func executable(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The repository, found from this file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func sample(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("data/sample/\(name)").path
    }
}
