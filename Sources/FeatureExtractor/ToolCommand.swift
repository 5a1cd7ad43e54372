import ArgumentParser

/// A command whose failures end in the documented exit codes: it implements `execute()`,
/// and `run()` prints any error once, on stderr, and exits with `ExitCodes.code(for:)`.
/// Usage errors and explicit exits pass through to the argument parser unchanged.
protocol ToolCommand: ParsableCommand {
    func execute() throws
}

extension ToolCommand {
    func run() throws {
        do {
            try execute()
        } catch {
            throw ExitCodes.reported(error)
        }
    }
}

/// `ToolCommand` for commands that run async (the server).
protocol AsyncToolCommand: AsyncParsableCommand {
    func execute() async throws
}

extension AsyncToolCommand {
    func run() async throws {
        do {
            try await execute()
        } catch {
            throw ExitCodes.reported(error)
        }
    }
}

extension ExitCodes {
    /// What a command's `run()` throws for `error`: usage errors and exits as they are (the
    /// argument parser prints usage or exits), anything else printed and mapped to its code.
    static func reported(_ error: any Error) -> any Error {
        switch error {
        case is ValidationError, is ExitCode: error
        default: fail(error)
        }
    }
}
