import EarshotCore
import HTTPTypes

/// The authorization rule of every route, in one table so it can be read (and reviewed) at a
/// glance. ``AccessControlMiddleware`` refuses a route that has none, and a test fails for any
/// registered route missing here, so a new route cannot ship without a decision.
enum AccessPolicy {
    static let rules: [String: AccessRule] = [
        // Operations and documents.
        "GET /healthz": .open, "GET /readyz": .open, "GET /metrics": .open, "GET /openapi.yaml": .open,
        // Signing in and the caller's own session and keys.
        "POST /api/v1/setup": .open,
        "POST /api/v1/session": .open, "GET /api/v1/session": .signedIn, "DELETE /api/v1/session": .signedIn,
        "POST /api/v1/session/password": .passwordSession,
        "GET /api/v1/keys": .signedIn, "POST /api/v1/keys": .signedIn, "DELETE /api/v1/keys/{id}": .signedIn,
        // Users.
        "GET /api/v1/users": .admin, "POST /api/v1/users": .admin,
        "GET /api/v1/users/{id}": .admin, "PATCH /api/v1/users/{id}": .admin, "DELETE /api/v1/users/{id}": .admin,
        // Jobs and transcripts (members: their own).
        "GET /api/v1/jobs": .read, "POST /api/v1/jobs": .write,
        "GET /api/v1/jobs/{id}": .read, "DELETE /api/v1/jobs/{id}": .write,
        "GET /api/v1/jobs/{id}/attempts": .read, "POST /api/v1/jobs/{id}/cancel": .write,
        "POST /api/v1/jobs/{id}/retry": .write, "POST /api/v1/jobs/{id}/reset": .write,
        "GET /api/v1/jobs/{id}/transcript": .read, "GET /api/v1/jobs/{id}/segments": .read, "GET /api/v1/jobs/{id}/media": .read,
        "GET /api/v1/transcripts/{id}/segments/{n}": .read, "PATCH /api/v1/transcripts/{id}/segments/{n}": .write,
        "GET /api/v1/jobs/{id}/shares": .read, "PUT /api/v1/jobs/{id}/shares/{username}": .write,
        "DELETE /api/v1/jobs/{id}/shares/{username}": .write,
        // Speakers of a transcript (its editors name and merge them); the enrolled voices are admins'.
        "GET /api/v1/jobs/{id}/speakers": .read, "PATCH /api/v1/jobs/{id}/speakers/{speaker}": .write,
        "POST /api/v1/jobs/{id}/speakers/{speaker}/merge": .write, "POST /api/v1/jobs/{id}/speakers/{speaker}/enroll": .admin,
        "GET /api/v1/speakers": .read, "PATCH /api/v1/speakers/{id}": .admin, "DELETE /api/v1/speakers/{id}": .admin,
        "GET /api/v1/search": .read,
        "POST /v1/audio/transcriptions": .write, "GET /v1/models": .read,
        // Events; nodes publish on the WebSocket too.
        "GET /api/v1/events": .read, "GET /api/v1/events/log": .read, "GET /api/v1/ws": .readOrNode,
        // Live sessions and their drafts.
        "GET /api/v1/live": .write,
        "GET /api/v1/drafts": .read, "GET /api/v1/drafts/{id}": .read, "PATCH /api/v1/drafts/{id}": .write,
        "GET /api/v1/drafts/{id}/audio": .read,
        "POST /api/v1/drafts/{id}/suggestions/{n}/approve": .write, "POST /api/v1/drafts/{id}/suggestions/{n}/dismiss": .write,
        // Server configuration: stream sources, feeds, nodes, plugins.
        "GET /api/v1/streams": .admin, "POST /api/v1/streams": .admin, "GET /api/v1/streams/{id}": .admin,
        "DELETE /api/v1/streams/{id}": .admin, "POST /api/v1/streams/{id}/start": .admin, "POST /api/v1/streams/{id}/stop": .admin,
        "GET /api/v1/feeds": .admin, "POST /api/v1/feeds": .admin, "GET /api/v1/feeds/{id}": .admin,
        "DELETE /api/v1/feeds/{id}": .admin, "POST /api/v1/feeds/{id}/poll": .admin,
        "GET /api/v1/nodes": .admin, "POST /api/v1/nodes": .admin, "GET /api/v1/nodes/{node_id}": .admin,
        "DELETE /api/v1/nodes/{node_id}": .admin, "POST /api/v1/nodes/{node_id}/disable": .admin,
        "POST /api/v1/nodes/{node_id}/enable": .admin, "POST /api/v1/nodes/{node_id}/test": .admin,
        "GET /api/v1/plugins": .read, "GET /api/v1/queue/stats": .readOrNode,
        // The node protocol.
        "GET /api/v1/node": .node, "DELETE /api/v1/node": .node, "POST /api/v1/node/heartbeat": .node, "POST /api/v1/node/claim": .node,
        "GET /api/v1/node/jobs/{id}/media": .node, "POST /api/v1/node/jobs/{id}/progress": .node,
        "POST /api/v1/node/jobs/{id}/complete": .node, "POST /api/v1/node/jobs/{id}/fail": .node,
        "POST /api/v1/node/jobs/{id}/release": .node, "POST /api/v1/node/claims": .node, "POST /api/v1/node/completions": .node,
        // Web pages.
        "GET /login": .open, "GET /ui/static/{file}": .open,
        "GET /": .read, "GET /jobs": .read, "GET /jobs/{id}": .read, "GET /transcripts/{id}": .read, "GET /search": .read,
        "GET /nodes": .read, "GET /live": .write, "GET /drafts/{id}": .read, "GET /settings": .admin,
        "GET /account": .signedIn, "GET /users": .admin,
    ]

    /// The rule for a method and a route's path as the router reports it (`{id}` or `:id` captures).
    static func rule(_ method: HTTPRequest.Method, path: String) -> AccessRule? {
        rules["\(method.rawValue) \(normalise(path))"]
    }

    /// `/api/v1/jobs/{id}` for `api/v1/jobs/:id/`.
    static func normalise(_ path: String) -> String {
        let parts = path.split(separator: "/").map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
