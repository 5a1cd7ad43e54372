import FeatureExtractorSupport
import Foundation

extension StateStore {
    /// Where the database lives unless told otherwise: `$FEATURE_EXTRACTOR_DB`, else
    /// `$FEATURE_EXTRACTOR_HOME/feature-extractor.sqlite`, else
    /// `$XDG_DATA_HOME/feature-extractor/feature-extractor.sqlite`, else
    /// `~/.local/share/feature-extractor/feature-extractor.sqlite`.
    ///
    /// Empty variables count as unset, and a relative `XDG_DATA_HOME` is ignored, as the
    /// XDG Base Directory specification requires.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["FEATURE_EXTRACTOR_DB"], !path.isEmpty {
            return path
        }
        return (DataHome.directory(environment: environment) as NSString).appendingPathComponent("feature-extractor.sqlite")
    }

    /// The OS user running this process (`getpwuid(geteuid())`): the actor of audit entries
    /// when nobody authenticated. `uid:<n>` when the user has no name.
    public static var osUser: String {
        UserAccount.current?.name ?? "uid:\(geteuid())"
    }
}
