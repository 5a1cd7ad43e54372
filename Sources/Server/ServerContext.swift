import Crypto
import Foundation
import Hummingbird
import NIOCore
import StateStore

/// Per-request state the middleware fills in for the handlers.
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's address, for per-address limits and the audit trail.
    let remoteAddress: String
    var user: User?
    var key: SymmetricKey?
    var nonce: String?
    /// The request body, read once (bounded) by the authentication middleware.
    var body = Data()
    /// An upload's body, streamed to a staging file and checked against its digest (PUT only).
    var upload: StagedUpload?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Uploads are bounded by the middleware per route; this is the outer cap.
    var maxUploadSize: Int { 256 << 20 }
}
