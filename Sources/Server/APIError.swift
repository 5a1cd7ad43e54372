import Foundation
import HTTPTypes
import Hummingbird

/// An error answer: a status and a short JSON message, never internal details.
struct APIError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var retryAfter: Int?
    /// Close the connection after this answer: the request's body was not read, and reading it
    /// on would let a refused client keep the server busy.
    var closeConnection = false

    static func badRequest(_ m: String) -> APIError { APIError(status: .badRequest, message: m) }
    static func unauthorized(_ m: String) -> APIError { APIError(status: .unauthorized, message: m) }
    static func forbidden(_ m: String) -> APIError { APIError(status: .forbidden, message: m) }
    static func notFound(_ m: String) -> APIError { APIError(status: .notFound, message: m) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if closeConnection { headers[.connection] = "close" }
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data("{\"error\":\"error\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
