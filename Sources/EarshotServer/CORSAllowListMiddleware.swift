import Foundation
import HTTPTypes
import Hummingbird

/// Cross-origin access for the web pages of other sites, only for the origins in `cors_origins` (none by default,
/// so browsers keep other sites from reading Earshot's answers). An allowed origin is echoed back, never `*` unless
/// configured, and no credentials are allowed: API clients authenticate with bearer keys, not cookies.
struct CORSAllowListMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    let anyOrigin: Bool

    init(origins: [String]) {
        self.origins = Set(origins)
        anyOrigin = origins.contains("*")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = anyOrigin || origins.contains(origin)
        let preflight = request.method == .options && request.headers[.accessControlRequestMethod] != nil
        if preflight {
            guard allowed else {
                throw APIError(.forbidden, "origin_not_allowed", "cross-origin requests from \(origin) are not allowed (cors_origins)")
            }
            var response = Response(status: .noContent)
            addHeaders(to: &response, origin: origin)
            response.headers[.accessControlAllowMethods] = "GET, POST, PATCH, DELETE"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Last-Event-ID"
            response.headers[.accessControlMaxAge] = "600"
            return response
        }
        var response = try await next(request, context)
        if allowed { addHeaders(to: &response, origin: origin) }
        return response
    }

    private func addHeaders(to response: inout Response, origin: String) {
        response.headers[.accessControlAllowOrigin] = anyOrigin ? "*" : origin
        response.headers[.vary] = "Origin"
    }
}

/// The `cors_origins` setting's rules.
enum CORSOrigins {
    /// An origin as browsers send it: `http(s)://host[:port]`, nothing after; or `*`.
    static func isValid(_ origin: String) -> Bool {
        if origin == "*" { return true }
        guard let scheme = origin.range(of: "://"), ["http", "https"].contains(origin[..<scheme.lowerBound]) else { return false }
        let rest = origin[scheme.upperBound...]
        return !rest.isEmpty && !rest.contains { "/?#@ ".contains($0) }
    }
}
