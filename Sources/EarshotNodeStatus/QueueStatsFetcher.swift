import EarshotClient
import EarshotCore
import Foundation

/// Reads the server's `GET /api/v1/queue/stats` (with the node's key) for the status page. A short
/// timeout keeps the page responsive when the server is down; failure is shown, not thrown.
struct QueueStatsFetcher: Sendable {
    let serverURL: URL
    let timeout: TimeInterval
    var key: String?

    func fetch() async -> QueueStatus {
        do {
            let stats = try await AdminClient(baseURL: serverURL, token: key).queueStats(timeout: .milliseconds(Int64(timeout * 1000)))
            return QueueStatus(stats: stats)
        } catch let error as EarshotAPIError {
            return QueueStatus(error: "server answered HTTP \(error.status)")
        } catch {
            return QueueStatus(error: String(describing: error))
        }
    }
}
