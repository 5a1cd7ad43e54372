import ArgumentParser
import Foundation
import PluginHost

struct DoctorCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show which sandbox mechanisms this system offers and whether the policy can be met.",
        discussion: """
            Names the policy file in use and the interpreters it grants (`policy show` prints all of it). \
            Exits 0 when every mechanism the policy requires is available, 69 otherwise. \
            A missing mechanism can be accepted per run with --allow-weaker-sandbox.
            """)

    @OptionGroup var sandbox: SandboxOptions
    @Flag(help: "Print one JSON object (keys: docs/JSON.md); the exit code is the same.") var json = false

    /// What `doctor --json` prints.
    struct Report: Encodable {
        var launcher: String
        var policyFile: String
        var seccomp: Bool
        var libseccomp: String
        var userNotification: Bool
        var noNewPrivs: Bool
        var landlockABI: Int
        var userNamespace: Bool
        var networkNamespace: Bool
        var requires: [String]
        var missing: [String]
        var met: Bool
        var interpreters: [InterpreterGrant]

        enum CodingKeys: String, CodingKey {
            case launcher, policyFile = "policy_file", seccomp, libseccomp, userNotification = "user_notification"
            case noNewPrivs = "no_new_privs", landlockABI = "landlock_abi", userNamespace = "user_namespace"
            case networkNamespace = "network_namespace", requires, missing, met, interpreters
        }
    }

    func execute() throws {
        guard let settings = try sandbox.settings() else { return }
        let report = try Self.probe(settings, policyFile: SandboxOptions.policyDirectory(sandbox.policyDirectory))
        if json {
            try JSONOutput.print(report)
        } else {
            Self.printText(report)
        }
        guard report.met else { throw ExitCode(ExitCodes.plugin) }
    }

    static func probe(_ settings: SandboxSettings, policyFile directory: String) throws -> Report {
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
        let missing = settings.policy.require.filter { available[$0] != true }.map(\.rawValue).sorted()
        let seccomp = found["seccomp"] as? Bool == true
        return Report(
            launcher: settings.launcher,
            policyFile: settings.policy.path ?? directory + "/" + SandboxPolicy.fileName, seccomp: seccomp,
            libseccomp: found["libseccomp"] as? String ?? "?", userNotification: found["user_notification"] as? Bool == true,
            noNewPrivs: found["no_new_privs"] as? Bool == true, landlockABI: landlock,
            userNamespace: available[.userNamespace]!, networkNamespace: available[.networkNamespace]!,
            requires: settings.policy.require.map(\.rawValue).sorted(), missing: missing, met: missing.isEmpty && seccomp,
            interpreters: settings.policy.interpreters)
    }

    static func printText(_ r: Report) {
        func yes(_ b: Bool, _ no: String = "no") -> String { b ? "yes" : no }
        print("launcher        \(r.launcher)")
        print("policy file     \(r.policyFile)")
        print(
            "seccomp         \(yes(r.seccomp, "NO")) (libseccomp \(r.libseccomp), user notification \(yes(r.userNotification)))")
        print("no_new_privs    \(yes(r.noNewPrivs, "NO"))")
        let l = r.landlockABI
        print(
            "landlock        \(l > 0 ? "ABI \(l)\(l < 4 ? " (no TCP rules)" : "")\(l < 6 ? " (signals not scoped)" : "")" : "no")"
        )
        print("user namespace  \(yes(r.userNamespace))")
        print("net namespace   \(yes(r.networkNamespace))")
        print("policy requires \(r.requires.joined(separator: ", "))")
        print(
            "interpreters    "
                + (r.interpreters.isEmpty
                    ? "none granted (interpreted plugins are refused; see 'feature-extractor policy allow-interpreter --help')"
                    : r.interpreters.map(\.path).joined(separator: ", ")))
        guard r.met else {
            print(
                "NOT MET: missing \(r.missing.joined(separator: ", ")); plugins will not start unless --allow-weaker-sandbox names them"
            )
            return
        }
        print("policy can be met")
    }
}
