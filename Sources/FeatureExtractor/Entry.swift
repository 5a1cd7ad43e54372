import ArgumentParser

// `stdout` is a C global; this file only sets its buffering, once, before anything else runs.
// (No Foundation here: it would import Glibc again without @preconcurrency.)
@preconcurrency import Glibc

/// The process's entry point. Standard output is line-buffered even on a pipe or file, so a
/// `2>&1` log keeps the order in which results, progress and errors happened.
@main
enum Entry {
    static func main() async {
        setvbuf(stdout, nil, _IOLBF, 0)
        // Alone, --version also names the build (hashing the executable costs a read, so only here).
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            print(VersionInfo.text())
            return
        }
        await FeatureExtractorCommand.main()
    }
}
