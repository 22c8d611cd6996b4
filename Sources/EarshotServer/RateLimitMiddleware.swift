import EarshotCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Limits each client address, and each bearer key, to `rate_limit_per_second` requests with bursts of
/// `rate_limit_burst`; beyond that, 429 with `Retry-After`. Both limits apply to a request with a key, so
/// inventing keys does not escape the address's limit. Health probes and metrics are not limited.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = EarshotRequestContext
    let limiter: RateLimiter
    static var exempt: Set<String> { ["/healthz", "/readyz", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.exempt.contains(request.uri.path) else { return try await next(request, context) }
        var identities = ["ip:" + context.clientAddress]
        if let key = NodeKeys.bearerToken(request) {
            // The key itself is not kept: its digest names the bucket.
            identities.append("key:" + NodeKeys.hash(key).prefix(32))
        }
        if let wait = await limiter.take(identities) {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw APIError(
                .tooManyRequests, "rate_limited", "too many requests from this client; retry in \(seconds) s",
                headers: [.retryAfter: String(seconds)]
            )
        }
        return try await next(request, context)
    }
}
