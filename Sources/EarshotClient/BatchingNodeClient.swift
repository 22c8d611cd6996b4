import EarshotCore
import Foundation

/// The client of a node that runs several jobs at once: claims its slots make at the same time
/// travel as one `POST /api/v1/node/claims`, and transcripts they deliver at the same time as one
/// `POST /api/v1/node/completions`, which also takes the next job for each slot that asks. A lone
/// claim, or a lone delivery that takes nothing, still goes alone through the single-job route.
public final class BatchingNodeClient: Sendable {
    /// The underlying client, for every other call.
    public let client: NodeClient
    private let claims: RequestCoalescer<Void, ClaimedWork?>
    private let completions: RequestCoalescer<Delivery, Delivered>

    private struct Delivery: Sendable {
        var report: CompletionReport
        var claimingNext: Bool
    }

    /// What became of one delivery, and the job taken for its slot when it asked for one.
    public struct Delivered: Sendable {
        public var result: CompletionResult
        public var next: ClaimedWork?

        public init(result: CompletionResult, next: ClaimedWork? = nil) {
            self.result = result
            self.next = next
        }
    }

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
        completions = RequestCoalescer(maxBatch: 64, maxInFlight: 2) { deliveries in
            let wanted = deliveries.filter(\.claimingNext).count
            if deliveries.count == 1, wanted == 0, let report = deliveries.first?.report {
                try await client.complete(jobID: report.transcript.jobID, report: report)
                return [Delivered(result: CompletionResult(jobId: report.transcript.jobID, status: 200))]
            }
            let answer = try await client.completeAll(
                deliveries.map(\.report), thenClaim: wanted == 0 ? nil : ClaimRequest(models: models, diarization: diarization, max: wanted)
            )
            guard answer.results.count == deliveries.count else {
                throw EarshotAPIError(status: 502, code: "bad_reply", message: "\(answer.results.count) results for \(deliveries.count) completions")
            }
            var claimed = (answer.claims ?? [])[...]
            return zip(deliveries, answer.results).map { delivery, result in
                Delivered(result: result, next: delivery.claimingNext ? claimed.popFirst() : nil)
            }
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
        let result = try await completions.submit(Delivery(report: report, claimingNext: false)).result
        guard result.status == 200 else { throw Self.refusal(result) }
    }

    /// Delivers one job's transcript and, with `claimingNext`, takes a job queued right now for
    /// the slot in the same request (shared with the other slots' deliveries). The job comes
    /// back even when the delivery was refused: it is the caller's to run or release.
    public func complete(_ report: CompletionReport, claimingNext: Bool) async throws -> Delivered {
        try await completions.submit(Delivery(report: report, claimingNext: claimingNext))
    }

    /// The error the single-job route would have answered for a refused delivery.
    public static func refusal(_ result: CompletionResult) -> EarshotAPIError {
        EarshotAPIError(status: result.status, code: result.error?.code ?? "http_\(result.status)", message: result.error?.message ?? "refused")
    }

    /// Ends the claims waiting on the server now (shutdown): their callers get `CancellationError`.
    public func wakeClaims() {
        claims.cancelInFlight()
    }
}
