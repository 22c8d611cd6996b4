import EarshotCore
import Hummingbird

/// Behind reverse proxies: takes the client's address from `X-Forwarded-For` when the peer is one of
/// `trusted_proxies` (see ``ForwardedFor``), for rate limits and the audit log.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = EarshotRequestContext
    let trusted: [IPAddressRange]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let forwarded = request.headers[values: .init("X-Forwarded-For")!]
        guard !forwarded.isEmpty else { return try await next(request, context) }
        var context = context
        context.clientAddress = ForwardedFor.client(peer: context.clientAddress, headers: forwarded, trusted: trusted)
        return try await next(request, context)
    }
}
