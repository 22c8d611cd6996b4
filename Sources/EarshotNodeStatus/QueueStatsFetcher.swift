import EarshotCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads the server's `GET /api/v1/queue/stats` (no authentication) for the status page. A short
/// timeout keeps the page responsive when the server is down; failure is shown, not thrown.
struct QueueStatsFetcher: Sendable {
    let serverURL: URL
    let timeout: TimeInterval

    func fetch() async -> QueueStatus {
        let url = serverURL.appendingPathComponent("api").appendingPathComponent("v1")
            .appendingPathComponent("queue").appendingPathComponent("stats")
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            guard let http = response as? HTTPURLResponse else { return QueueStatus(error: "not an HTTP response") }
            guard http.statusCode == 200 else { return QueueStatus(error: "server answered HTTP \(http.statusCode)") }
            return QueueStatus(stats: try EarshotJSON.decoder().decode(QueueStats.self, from: data))
        } catch let error as URLError {
            return QueueStatus(error: error.localizedDescription)
        } catch {
            return QueueStatus(error: String(describing: error))
        }
    }
}
