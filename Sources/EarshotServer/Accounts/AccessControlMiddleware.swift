import EarshotCore
import Foundation
import HTTPTypes
import Hummingbird

/// Applies ``AccessPolicy`` to every routed request: resolves the caller (``AccountGate``), puts it in
/// the context for the handler's ownership checks, and refuses what its rule does not allow: 401
/// for no or bad credentials (a browser asking for a page is sent to `/login` instead), 403 for a
/// caller whose role or key does not reach. A route with no rule is refused, never left open.
struct AccessControlMiddleware: RouterMiddleware {
    typealias Context = EarshotRequestContext
    let gate: AccountGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Unrouted requests fall through to the 404 responder.
        guard let path = context.endpointPath else { return try await next(request, context) }
        let method = request.method == .head ? .get : request.method
        guard let rule = AccessPolicy.rule(method, path: path) else {
            throw APIError(.forbidden, "no_access_rule", "this route has no access rule")
        }
        if rule == .open || rule == .node { return try await next(request, context) }
        var context = context
        (context.principal, context.session) = try await gate.resolve(request)
        // On an open server the admin token guards the admin API; its pages (the masked settings) stay
        // readable, as a browser cannot send a bearer token with a page request.
        let adminTokenMissing = rule == .admin && context.principal == .local && gate.openAdminNeedsToken
            && AccessPolicy.normalise(path).hasPrefix("/api/")
        if context.principal.allows(rule), !adminTokenMissing { return try await next(request, context) }
        if context.principal == .anonymous || adminTokenMissing {
            if Self.wantsPage(request, path: path) { return Self.redirectToLogin(from: request) }
            throw APIError(
                .unauthorized, "unauthorized", adminTokenMissing ? "this route needs the admin token" : "sign in, or send an API key as a bearer token",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        throw APIError(.forbidden, "forbidden", "your role or your key's scopes do not allow \(method.rawValue) \(AccessPolicy.normalise(path))")
    }

    /// A browser navigating to a page (not the API).
    static func wantsPage(_ request: Request, path: String) -> Bool {
        let path = AccessPolicy.normalise(path)
        return request.method == .get && !path.hasPrefix("/api/") && !path.hasPrefix("/v1/") && (request.headers[.accept] ?? "").contains("text/html")
    }

    static func redirectToLogin(from request: Request) -> Response {
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        let next = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
        return Response(status: .seeOther, headers: [.location: "/login?next=\(next)"])
    }
}
