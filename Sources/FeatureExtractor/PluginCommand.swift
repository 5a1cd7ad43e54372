import ArgumentParser
import Foundation
import PluginHost
import PluginProtocol

struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "Install, list and inspect plugin packages.",
        subcommands: [Install.self, List.self, Info.self, StartupTime.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a built plugin into a plugin directory and pin its executable's SHA-256 in the manifest.")

        @Option(help: "The plugin's manifest template (plugin.json).")
        var manifest: String
        @Option(help: "The built executable.")
        var executable: String
        @Option(help: "The plugin directory to install into.")
        var into: String

        func run() throws {
            do {
                let dir = try PluginInstaller.install(manifestTemplate: manifest, executable: executable, into: into)
                print("installed \(dir)")
            } catch {
                throw ExitCodes.fail(error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the plugins found in the plugin directories.")
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []

        func run() {
            let locator = PluginLocator(directories: PluginDirectories.resolve(pluginsDirs))
            for (role, name) in locator.all() { print("\(role)\t\(name)") }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a plugin, start it, and show its parameters.")
        @Argument(help: "encoder or decoder") var role: String
        @Argument(help: "Plugin name") var name: String
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []
        @OptionGroup var sandbox: SandboxOptions

        func run() throws {
            guard let r = PluginRole(rawValue: role) else { throw ValidationError("role must be encoder or decoder") }
            do {
                let package = try PluginLocator(directories: PluginDirectories.resolve(pluginsDirs)).locate(name: name, role: r)
                let connection = try PluginConnection(package: package, role: r, sandbox: try sandbox.settings())
                defer { connection.shutdown() }
                let info = try connection.initialize()
                print("\(info.role) \(info.name) \(info.version) (protocol \(info.protocol), transport \(info.transport.rawValue))")
                print("package: \(package.directory)  sha256: \(package.manifest.sha256 ?? "-")")
                for key in info.parameters.keys.sorted() {
                    let p = info.parameters[key]!
                    print("  \(key) (\(p.type.rawValue), default \(p.defaultValue)): \(p.description)")
                }
            } catch {
                throw ExitCodes.fail(error)
            }
        }
    }

    struct StartupTime: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "startup-time",
            abstract: "Measure a plugin's start-up: spawn to finished handshake, median of several starts (for benchmarks).")
        @Argument(help: "encoder or decoder") var role: String
        @Argument(help: "Plugin name") var name: String
        @Option(name: .customLong("repeat"), help: "Starts to measure.") var count: Int = 20
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []
        @OptionGroup var sandbox: SandboxOptions

        func run() throws {
            guard let r = PluginRole(rawValue: role) else { throw ValidationError("role must be encoder or decoder") }
            do {
                let package = try PluginLocator(directories: PluginDirectories.resolve(pluginsDirs)).locate(name: name, role: r)
                let settings = try sandbox.settings()
                var times: [Double] = []
                for _ in 0..<max(count, 1) {
                    let t0 = Deadline.now()
                    let c = try PluginConnection(package: package, role: r, sandbox: settings)
                    try c.initialize()
                    times.append(Double(Deadline.now().nanoseconds - t0.nanoseconds) / 1e6)
                    c.shutdown()
                }
                times.sort()
                print(String(format: "median %.2f ms, min %.2f ms, max %.2f ms over %d starts (%@)",
                             times[times.count / 2], times[0], times[times.count - 1], times.count,
                             settings == nil ? "no sandbox" : "sandboxed"))
            } catch {
                throw ExitCodes.fail(error)
            }
        }
    }
}
