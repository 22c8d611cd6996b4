import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1

/// The node side of `/api/v1/node`: a remote transcriber's calls to its server, authenticated by
/// the node's API key.
public struct NodeClient: Sendable {
    /// The server, e.g. `http://127.0.0.1:8080`.
    public let baseURL: URL
    /// The key issued at registration (`esk_…`).
    public let apiKey: String
    let transport: HTTPTransport

    public init(baseURL: URL, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.transport = HTTPTransport(baseURL: baseURL, bearerToken: apiKey)
    }

    /// Reports capabilities and running jobs; the reply says who the server thinks this node is.
    public func heartbeat(_ heartbeat: NodeHeartbeat) async throws -> NodeHeartbeatReply {
        try await transport.send(.POST, "api/v1/node/heartbeat", json: heartbeat, decoding: NodeHeartbeatReply.self)
    }

    /// Who the server takes this key for, without recording a heartbeat (`GET /api/v1/node`).
    public func whoami() async throws -> NodeHeartbeatReply {
        try await transport.send(.GET, "api/v1/node", decoding: NodeHeartbeatReply.self)
    }

    /// Long-polls for a job for up to `waitSeconds`; nil when none came (HTTP 204).
    public func claim(models: [String]?, diarization: Bool = false, waitSeconds: Int) async throws -> ClaimedWork? {
        let (data, status) = try await transport.send(
            .POST, "api/v1/node/claim", query: [URLQueryItem(name: "wait", value: String(waitSeconds))],
            json: ClaimRequest(models: models, diarization: diarization),
            // The server holds the request for the whole wait; give it room to answer afterwards.
            timeout: .seconds(Int64(waitSeconds) + 15)
        )
        if status == 204 || data.isEmpty { return nil }
        return try EarshotJSON.decoder().decode(ClaimedWork.self, from: data)
    }

    /// Long-polls for up to `max` jobs at once (`POST /api/v1/node/claims`), e.g. one per free
    /// slot; empty when none came within `waitSeconds`.
    public func claimBatch(models: [String]?, diarization: Bool = false, max: Int, waitSeconds: Int) async throws -> [ClaimedWork] {
        let (data, status) = try await transport.send(
            .POST, "api/v1/node/claims", query: [URLQueryItem(name: "wait", value: String(waitSeconds))],
            json: ClaimRequest(models: models, diarization: diarization, max: max),
            timeout: .seconds(Int64(waitSeconds) + 15)
        )
        if status == 204 || data.isEmpty { return [] }
        return try EarshotJSON.decoder().decode(ClaimedWorkBatch.self, from: data).claims
    }

    /// Delivers several transcripts in one request (`POST /api/v1/node/completions`); each is
    /// judged on its own, and the results say which were stored (status 200) and which refused.
    public func completeAll(_ reports: [CompletionReport]) async throws -> [CompletionResult] {
        try await completeAll(reports, thenClaim: nil).results
    }

    /// Delivers transcripts and, with `claim`, takes up to `claim.max` jobs queued right now in
    /// the same request (`POST /api/v1/node/completions` with a `claim`): a node that goes on
    /// working saves the claim request after each delivery. `claims` is empty when nothing was
    /// queued; the node then long-polls as usual.
    public func completeAll(_ reports: [CompletionReport], thenClaim claim: ClaimRequest?) async throws -> CompletionResults {
        try await transport.send(
            .POST, "api/v1/node/completions", json: CompletionBatch(completions: reports, claim: claim), timeout: .seconds(120),
            decoding: CompletionResults.self
        )
    }

    /// Renews the lease with the latest progress; replies with the renewed lease.
    public func progress(jobID: JobID, report: ProgressReport) async throws -> Lease {
        try await transport.send(.POST, "api/v1/node/jobs/\(jobID.rawValue)/progress", json: report, decoding: Lease.self)
    }

    /// Delivers the transcript; the job is done.
    public func complete(jobID: JobID, report: CompletionReport) async throws {
        // A long transcript can take a while to upload and store.
        _ = try await transport.send(.POST, "api/v1/node/jobs/\(jobID.rawValue)/complete", json: report, timeout: .seconds(120))
    }

    /// Reports a failed attempt; the server decides whether to retry.
    public func fail(jobID: JobID, report: FailureReport) async throws {
        _ = try await transport.send(.POST, "api/v1/node/jobs/\(jobID.rawValue)/fail", json: report)
    }

    /// Hands the job back without counting the attempt.
    public func release(jobID: JobID, report: ReleaseReport) async throws {
        _ = try await transport.send(.POST, "api/v1/node/jobs/\(jobID.rawValue)/release", json: report)
    }

    /// Removes this node from the server; its key stops working.
    public func unregister() async throws {
        _ = try await transport.send(.DELETE, "api/v1/node")
    }
}
