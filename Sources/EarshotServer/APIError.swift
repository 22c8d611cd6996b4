import EarshotCore
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An error as the API reports it: an HTTP status and `{"error": {"code", "message"}}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try EarshotJSON.encoder().encode(Body(error: .init(code: code, message: message)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }

    /// Maps any error a handler throws onto the API's error shape.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            switch error {
            case .jobNotFound(let id): return APIError(.notFound, "not_found", "job \(id) does not exist")
            case .invalidTransition: return APIError(.conflict, "invalid_state", error.description)
            case .invalidCursor: return APIError(.badRequest, "invalid_cursor", error.description)
            case .leaseLost: return APIError(.conflict, "lease_stale", error.description)
            case .leaseHeldByAnother(let id): return APIError(.forbidden, "forbidden", "job \(id) is leased to another node")
            case .nodeNotFound(let id): return APIError(.notFound, "not_found", "node \(id) does not exist")
            case .duplicateNodeName: return APIError(.conflict, "duplicate_name", error.description)
            case .mediaRemoved: return APIError(.conflict, "media_removed", error.description)
            case .transcriptNotFound: return APIError(.notFound, "transcript_not_found", error.description)
            case .segmentNotFound: return APIError(.notFound, "segment_not_found", error.description)
            case .draftNotFound: return APIError(.notFound, "not_found", error.description)
            case .streamNotFound: return APIError(.notFound, "not_found", error.description)
            case .suggestionNotFound: return APIError(.notFound, "suggestion_not_found", error.description)
            case .suggestionDecided: return APIError(.conflict, "suggestion_decided", error.description)
            case .invalidChanges: return APIError(.badRequest, "invalid_changes", error.description)
            case .feedNotFound: return APIError(.notFound, "not_found", error.description)
            case .duplicateFeed: return APIError(.conflict, "duplicate_feed", error.description)
            case .duplicateStreamName: return APIError(.conflict, "duplicate_name", error.description)
            case .userNotFound: return APIError(.notFound, "not_found", error.description)
            case .duplicateUsername: return APIError(.conflict, "duplicate_name", error.description)
            case .apiKeyNotFound: return APIError(.notFound, "not_found", error.description)
            case .shareNotFound: return APIError(.notFound, "share_not_found", error.description)
            case .speakerNotFound: return APIError(.notFound, "speaker_not_found", error.description)
            case .enrolledSpeakerNotFound: return APIError(.notFound, "not_found", error.description)
            case .duplicateSpeakerName: return APIError(.conflict, "duplicate_name", error.description)
            case .lastAdmin: return APIError(.conflict, "last_admin", error.description)
            }
        case let error as AccountInputError:
            return APIError(.badRequest, error.code, error.message)
        case let error as SpeakerInputError:
            return APIError(.badRequest, error.code, error.message)
        case let error as HTTPError:
            let code = switch error.status.code {
            case 404: "not_found"
            case 405: "method_not_allowed"
            case 413: "payload_too_large"
            default: "http_\(error.status.code)"
            }
            return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, "internal", "an internal error occurred")
        }
    }
}

/// Turns every error, including the router's own 404/405, into the JSON error shape, and logs
/// server-side failures (a client never sees internal details).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
