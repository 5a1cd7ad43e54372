import Crypto
import FeatureExtractorSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RemoteAuth
import StateStore

/// The endpoints: named, versioned configs; models stored content-addressed with their
/// signatures; batched log events. Every successful answer is MAC-bound to the request's nonce.
struct ServerRoutes {
    let store: StateStore
    let config: ServerConfiguration
    let openAPI: Data

    static let contentDigestHeader = HTTPField.Name("X-FE-Content-SHA256")!
    static let modelSignatureHeader = HTTPField.Name("X-FE-Model-Signature")!

    func register(_ router: Router<ServerContext>) {
        let v1 = router.group(RouterPath(RemoteAPI.prefix))
        v1.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
        }
        v1.get("configs/:name") { _, context in try getConfig(context, version: nil) }
        v1.get("configs/:name/versions/:version") { _, context in
            guard let v = context.parameters.get("version", as: Int.self) else {
                throw APIError.badRequest("version must be a number")
            }
            return try getConfig(context, version: v)
        }
        v1.post("configs/:name") { _, context in try putConfig(context) }
        v1.put("models/:name/versions/:version") { request, context in try putModel(request, context) }
        v1.get("models/:name/versions/:version") { _, context in try getModel(context) }
        v1.post("logs") { _, context in try postLogs(context) }
        registerUserRoutes(v1)
    }

    func name(_ context: ServerContext) throws -> String {
        guard let n = context.parameters.get("name"), RemoteAPI.isValidName(n) else {
            throw APIError.badRequest("name must match [a-z][a-z0-9_.-]{0,63}")
        }
        return n
    }

    func require(_ action: Action, _ context: ServerContext) throws -> User {
        guard let user = context.user else { throw APIError.unauthorized("not authenticated") }
        guard try store.isAllowed(user, action) else {
            throw APIError.forbidden("role \(user.role.rawValue) may not \(action.rawValue)")
        }
        return user
    }

    /// A 2xx answer bound to the request: `X-FE-Response-Signature` covers nonce, status and body.
    func reply(
        _ status: HTTPResponse.Status, _ body: Data, _ context: ServerContext, contentType: String = "application/json",
        extra: HTTPFields = [:]
    ) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        if let key = context.key, let nonce = context.nonce {
            headers[HTTPField.Name(RequestSigning.responseSignatureHeader)!] =
                RequestSigning.responseMAC(key: key, nonce: nonce, status: Int(status.code), body: body)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    private func getConfig(_ context: ServerContext, version: Int?) throws -> Response {
        _ = try require(.readConfig, context)
        let n = try name(context)
        guard let record = try store.remoteConfig(name: n, version: version) else { throw APIError.notFound("no such config") }
        return reply(
            .ok, Data(record.json.utf8), context,
            extra: [Self.contentDigestHeader: record.sha256, HTTPField.Name("X-FE-Config-Version")!: String(record.version)])
    }

    private func putConfig(_ context: ServerContext) throws -> Response {
        let user = try require(.writeConfig, context)
        let n = try name(context)
        guard (try? JSONSerialization.jsonObject(with: context.body)) is [String: Any] else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        let digest = RequestSigning.sha256Hex(context.body)
        let record = try store.putRemoteConfig(
            name: n, json: String(decoding: context.body, as: UTF8.self), sha256: digest, author: user.name)
        return reply(.created, json(["name": n, "version": record.version, "sha256": digest]), context)
    }

    private func modelPath(_ sha256: String) -> String { config.storageDirectory + "/" + sha256 }

    private func putModel(_ request: Request, _ context: ServerContext) throws -> Response {
        let user = try require(.writeModel, context)
        let n = try name(context)
        guard let version = context.parameters.get("version"), RemoteAPI.isValidName("v" + version) else {
            throw APIError.badRequest("version must be [a-z0-9_.-]{1,63}")
        }
        // The middleware streamed the body to a staging file and checked it against this digest.
        guard let upload = context.upload else { throw APIError.badRequest("an upload needs a body") }
        guard let signature = request.headers[Self.modelSignatureHeader], signature.utf8.count <= 4096,
            Data(base64Encoded: signature) != nil
        else {
            throw APIError.badRequest("a model needs its detached signature in X-FE-Model-Signature (base64)")
        }
        // The version is reserved first: a refused upload (409) never leaves content behind.
        do {
            try store.putRemoteModel(
                RemoteModelRecord(
                    name: n, version: version, sha256: upload.sha256, signature: signature,
                    size: upload.size, author: user.name, createdAt: Date()))
        } catch StoreError.invalid {
            throw APIError(status: .conflict, message: "this model version already exists with other content")
        }
        // Content-addressed: the staged file becomes the content under its digest, atomically.
        let path = modelPath(upload.sha256)
        if !FileManager.default.fileExists(atPath: path) {
            guard rename(upload.path, path) == 0 else {
                throw APIError(status: .internalServerError, message: "storage failed")
            }
            StorageDirectory.sync(config.storageDirectory)
        }
        return reply(.created, json(["name": n, "version": version, "sha256": upload.sha256]), context)
    }

    private func getModel(_ context: ServerContext) throws -> Response {
        _ = try require(.readModel, context)
        let n = try name(context)
        guard let version = context.parameters.get("version"),
            let record = try store.remoteModel(name: n, version: version)
        else { throw APIError.notFound("no such model") }
        guard let bytes = FileManager.default.contents(atPath: modelPath(record.sha256)),
            RequestSigning.sha256Hex(bytes) == record.sha256
        else {
            throw APIError(status: .internalServerError, message: "stored model is damaged")
        }
        return reply(
            .ok, bytes, context, contentType: "application/octet-stream",
            extra: [Self.contentDigestHeader: record.sha256, Self.modelSignatureHeader: record.signature])
    }

    private func postLogs(_ context: ServerContext) throws -> Response {
        let user = try require(.writeLog, context)
        guard let events = try? JSONSerialization.jsonObject(with: context.body) as? [[String: Any]] else {
            throw APIError.badRequest("the body must be a JSON array of event objects")
        }
        guard events.count <= config.maxLogEventsPerBatch else {
            throw APIError.badRequest("at most \(config.maxLogEventsPerBatch) events per batch")
        }
        let texts = events.compactMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }.map {
            String(decoding: $0, as: UTF8.self)
        }
        try store.appendRemoteLogs(actor: user.name, events: texts)
        return reply(.accepted, json(["accepted": texts.count]), context)
    }
}
