import EarshotCore
import Foundation

/// The client of a node that runs several jobs at once: claims its slots make at the same time
/// travel as one `POST /api/v1/node/claims`, and transcripts they deliver at the same time as one
/// `POST /api/v1/node/completions`. A lone call still goes alone through the single-job route, so
/// a node whose jobs rarely coincide sends exactly what a one-slot node would.
public final class BatchingNodeClient: Sendable {
    /// The underlying client, for every other call.
    public let client: NodeClient
    private let claims: RequestCoalescer<Void, ClaimedWork?>
    private let completions: RequestCoalescer<CompletionReport, CompletionResult>

    /// - Parameters:
    ///   - models: the models this node runs (nil: any); `diarization`: whether it can diarize.
    ///   - waitSeconds: how long each claim long-polls the server.
    public init(client: NodeClient, models: [String]?, diarization: Bool, waitSeconds: Int) {
        self.client = client
        claims = RequestCoalescer(maxBatch: 64, maxInFlight: 2) { tickets in
            if tickets.count == 1 {
                return [try await client.claim(models: models, diarization: diarization, waitSeconds: waitSeconds)]
            }
            let claimed = try await client.claimBatch(models: models, diarization: diarization, max: tickets.count, waitSeconds: waitSeconds)
            return claimed.map(Optional.some) + Array(repeating: nil, count: max(0, tickets.count - claimed.count))
        }
        completions = RequestCoalescer(maxBatch: 64, maxInFlight: 2) { reports in
            if reports.count == 1, let report = reports.first {
                try await client.complete(jobID: report.transcript.jobID, report: report)
                return [CompletionResult(jobId: report.transcript.jobID, status: 200)]
            }
            return try await client.completeAll(reports)
        }
    }

    /// One job for one slot, or nil when none came within the wait. Throws `CancellationError`
    /// when ``wakeClaims()`` cut the wait short.
    public func claim() async throws -> ClaimedWork? {
        try await claims.submit(())
    }

    /// Delivers one job's transcript; throws ``EarshotAPIError`` with the status and code the
    /// single-job route would have answered when it was refused.
    public func complete(_ report: CompletionReport) async throws {
        let result = try await completions.submit(report)
        guard result.status == 200 else {
            throw EarshotAPIError(status: result.status, code: result.error?.code ?? "http_\(result.status)", message: result.error?.message ?? "refused")
        }
    }

    /// Ends the claims waiting on the server now (shutdown): their callers get `CancellationError`.
    public func wakeClaims() {
        claims.cancelInFlight()
    }
}
