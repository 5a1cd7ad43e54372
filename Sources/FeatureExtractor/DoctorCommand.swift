import ArgumentParser
import Foundation
import PluginHost

struct DoctorCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show which sandbox mechanisms this system offers and whether the policy can be met.",
        discussion: """
            Exits 0 when every mechanism the policy requires is available, 69 otherwise. \
            A missing mechanism can be accepted per run with --allow-weaker-sandbox.
            """)

    @OptionGroup var sandbox: SandboxOptions

    func execute() throws {
        guard let settings = try sandbox.settings() else { return }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: settings.launcher)
        probe.arguments = ["--probe"]
        let out = Pipe()
        probe.standardOutput = out
        try probe.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        probe.waitUntilExit()
        guard let found = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SandboxError.launcherMissing(path: settings.launcher)
        }
        let landlock = found["landlock_abi"] as? Int ?? 0
        let available: [SandboxMechanism: Bool] = [
            .landlock: landlock > 0,
            .userNamespace: found["user_namespace"] as? Bool ?? false,
            .networkNamespace: found["network_namespace"] as? Bool ?? false,
        ]
        print("launcher        \(settings.launcher)")
        print(
            "seccomp         \(found["seccomp"] as? Bool == true ? "yes" : "NO") (libseccomp \(found["libseccomp"] ?? "?"), user notification \(found["user_notification"] as? Bool == true ? "yes" : "no"))"
        )
        print("no_new_privs    \(found["no_new_privs"] as? Bool == true ? "yes" : "NO")")
        print(
            "landlock        \(landlock > 0 ? "ABI \(landlock)\(landlock < 4 ? " (no TCP rules)" : "")\(landlock < 6 ? " (signals not scoped)" : "")" : "no")"
        )
        print("user namespace  \(available[.userNamespace]! ? "yes" : "no")")
        print("net namespace   \(available[.networkNamespace]! ? "yes" : "no")")
        print("policy requires \(settings.policy.require.map(\.rawValue).sorted().joined(separator: ", "))")
        let missing = settings.policy.require.filter { available[$0] != true }.map(\.rawValue).sorted()
        guard missing.isEmpty, found["seccomp"] as? Bool == true else {
            print(
                "NOT MET: missing \(missing.joined(separator: ", ")); plugins will not start unless --allow-weaker-sandbox names them"
            )
            throw ExitCode(ExitCodes.plugin)
        }
        print("policy can be met")
    }
}
