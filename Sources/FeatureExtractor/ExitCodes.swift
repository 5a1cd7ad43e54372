import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import PluginHost
import RemoteClient
import StateStore

/// The documented exit codes (BSD sysexits values), and which errors map to them.
enum ExitCodes {
    static let usage: Int32 = 64
    static let badData: Int32 = 65
    static let plugin: Int32 = 69
    static let software: Int32 = 70
    static let io: Int32 = 74
    static let denied: Int32 = 77
    /// A remote service could not be reached or gave up (EX_TEMPFAIL: trying later may work).
    static let unavailable: Int32 = 75

    static func code(for error: any Error) -> Int32 {
        switch error {
        case is ConfigurationError, is ValidationError: usage
        case is DataError, is ModelMismatch: badData
        case let e as ProvenanceError:
            if case .untrusted = e { badData } else { usage }
        case is PluginError, is SandboxError: plugin
        case is OutputError, is FileError, is CocoaError: io
        case let e as StoreError:
            switch e {
            case .authenticationFailed: denied
            // A user, token or key named on the command line that does not exist, or a refused argument.
            case .notFound, .invalid: usage
            default: io
            }
        case is AccessDenied: denied
        case let e as RemoteError:
            switch e {
            case .insecureURL, .credentialsInURL, .invalidURL, .hostNotAllowed, .malformedToken: usage
            case .refused(let status, _) where status == 401 || status == 403: denied
            case .refused(409, _): badData
            case .integrity, .unauthenticatedResponse: badData
            default: unavailable
            }
        default: software
        }
    }

    /// Prints `error` to stderr and turns it into the matching exit.
    static func fail(_ error: any Error) -> ExitCode {
        // Errors quote files, plugins and servers: nothing in them may drive the terminal.
        FileHandle.standardError.write(Data("feature-extractor: error: \(DisplayText.lines("\(error)"))\n".utf8))
        return ExitCode(code(for: error))
    }
}
