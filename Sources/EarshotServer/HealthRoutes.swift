import EarshotCore
import EarshotEngine
import EarshotStore
import Foundation
import Hummingbird

/// Liveness, readiness and the API description.
struct HealthRoutes: Sendable {
    let store: any Store
    let recognizers: [any SpeechRecognizer]

    struct Readiness: Encodable {
        var status: String
        var checks: [String: String]
    }

    func register(on router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("readyz") { _, _ in try await self.readiness() }
        router.get("openapi.yaml") { _, _ in
            textResponse(OpenAPIDocument.text, contentType: "application/yaml; charset=utf-8")
        }
    }

    private func readiness() async throws -> Response {
        var checks: [String: String] = [:]
        do {
            // A database that is down makes its pool wait for it; the probe must answer anyway.
            let store = store
            try await withDeadline(.seconds(5)) { try await store.checkWritable() }
            checks["store"] = "ok"
        } catch {
            checks["store"] = "not writable: \(error)"
        }
        if recognizers.isEmpty {
            checks["engine"] = "ok (no built-in workers)"
        } else {
            var ready = 0
            for recognizer in recognizers where await recognizer.isReady() { ready += 1 }
            checks["engine"] = ready > 0 ? "ok" : "loading"
        }
        let healthy = checks.values.allSatisfy { $0.hasPrefix("ok") }
        return try jsonResponse(Readiness(status: healthy ? "ready" : "not_ready", checks: checks), status: healthy ? .ok : .serviceUnavailable)
    }
}

/// The OpenAPI document shipped with the server (a resource of this module).
public enum OpenAPIDocument {
    /// The document's text, exactly as `GET /openapi.yaml` serves it.
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\ninfo: {title: Earshot, version: unknown}\npaths: {}\n" }
        return text
    }()
}
