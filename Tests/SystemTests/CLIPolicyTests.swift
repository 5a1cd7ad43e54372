import Foundation
import TestSupport
import XCTest

/// `policy show`, `policy allow-interpreter` and `doctor`'s policy lines, on a copy of the shipped policy.
final class CLIPolicyTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var policy: String { dir.file("policy") }
    private var file: String { policy + "/sandbox-policy.json" }

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        try FileManager.default.copyItem(
            atPath: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path, toPath: policy)
    }
    override func tearDown() { dir.remove() }

    private func show() throws -> [String: Any] {
        let r = try CommandRunner.run(["policy", "show", "--json", "--sandbox-policy", policy])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func testAllowInterpreterWritesAGrantThatShowAndDoctorReportAndReplacesAnEarlierOne() throws {
        XCTAssertEqual((try show()["interpreters"] as? [Any])?.count, 0, "the shipped policy grants none")
        let text = try CommandRunner.run(["policy", "show", "--sandbox-policy", policy])
        XCTAssertTrue(
            text.stdout.contains("policy file     \(file)") && text.stdout.contains("interpreters    none"), text.stdout)

        let grant = try CommandRunner.run([
            "policy", "allow-interpreter", "/usr/bin/python3", "--read-path", "/usr/lib/python3*", "--syscall", "sysinfo",
            "--syscall", "ioctl:1=0x5451", "--sandbox-policy", policy,
        ])
        XCTAssertEqual(grant.status, 0, grant.stderr)
        XCTAssertTrue(grant.stdout.contains("allowed /usr/bin/python3 in \(file)"), grant.stdout)
        let granted = try XCTUnwrap(try show()["interpreters"] as? [[String: Any]])
        XCTAssertEqual(granted.count, 1)
        XCTAssertEqual(granted.first?["path"] as? String, "/usr/bin/python3")
        XCTAssertEqual(granted.first?["read_paths"] as? [String], ["/usr/lib/python3*"])
        XCTAssertEqual(granted.first?["syscalls"] as? [String], ["sysinfo", "ioctl:1=0x5451"])
        XCTAssertEqual(try show()["require"] as? [String], ["landlock", "network_namespace", "user_namespace"], "the rest kept")

        let again = try CommandRunner.run([
            "policy", "allow-interpreter", "/usr/bin/python3", "--syscall", "sysinfo", "--sandbox-policy", policy,
        ])
        XCTAssertEqual(again.status, 0, again.stderr)
        let replaced = try XCTUnwrap(try show()["interpreters"] as? [[String: Any]])
        XCTAssertEqual(replaced.count, 1, "one entry per interpreter")
        XCTAssertEqual(replaced.first?["read_paths"] as? [String], [])

        let doctor = try CommandRunner.run(["doctor", "--sandbox-policy", policy])
        XCTAssertTrue(doctor.stdout.contains("policy file     \(file)"), doctor.stdout)
        XCTAssertTrue(doctor.stdout.contains("interpreters    /usr/bin/python3"), doctor.stdout)
        let audit = try CommandRunner.run(["audit", "list", "--action", "policy.allow_interpreter"])
        XCTAssertTrue(audit.stdout.contains("/usr/bin/python3"), "audited: \(audit.stdout)")
    }

    func testAllowInterpreterRefusesWhatTheLoaderWouldAndWritesNothing() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let cases: [([String], String)] = [
            (["/usr/bin/python3", "--syscall", "sysinfoo"], "'sysinfoo' is not a system call libseccomp knows"),
            (
                ["/usr/bin/python3", "--syscall", "read;rm"],
                "syscall 'read;rm' of /usr/bin/python3 is not NAME or NAME:ARG=VALUE"
            ),
            (["python3"], "'python3' must be an absolute path"),
            (["/usr/bin/python3", "--read-path", "/usr/../etc"], "must be an absolute path without '..'"),
        ]
        for (arguments, message) in cases {
            let r = try CommandRunner.run(["policy", "allow-interpreter"] + arguments + ["--sandbox-policy", policy])
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before, "\(arguments): the file is unchanged")
        }
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: policy)), ["sandbox-policy.json", "seccomp-allow.txt"],
            "no temporary file left behind")

        // A broken policy file is named, as a run names it, and left as it is.
        try Data("{".utf8).write(to: URL(fileURLWithPath: file))
        let broken = try CommandRunner.run([
            "policy", "allow-interpreter", "/usr/bin/python3", "--sandbox-policy", policy,
        ])
        XCTAssertEqual(broken.status, 69, broken.stderr)
        XCTAssertTrue(broken.stderr.contains("sandbox policy \(file)"), broken.stderr)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "{")
    }
}
