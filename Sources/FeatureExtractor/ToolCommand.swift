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
        } catch let error as ValidationError {
            throw error
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitCodes.fail(error)
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
        } catch let error as ValidationError {
            throw error
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitCodes.fail(error)
        }
    }
}
