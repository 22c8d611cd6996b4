import Foundation

// The messages remote nodes and the server exchange under `/api/v1/node` and `/api/v1/nodes`.
// Shared by the server and the node client so the two cannot drift; JSON is Earshot's dialect
// (snake_case, ISO 8601), see ``EarshotJSON``.

/// `POST /api/v1/nodes` (admin): register a node.
public struct NodeRegistrationRequest: Codable, Sendable, Hashable {
    public var name: String
    /// Lower is preferred when several nodes could take the same job.
    public var priority: Int?

    public init(name: String, priority: Int? = nil) {
        self.name = name
        self.priority = priority
    }
}

/// The reply to a registration: the only time the key is ever shown.
public struct NodeRegistration: Codable, Sendable, Hashable {
    public var nodeId: String
    public var name: String
    public var apiKey: String

    public init(nodeId: String, name: String, apiKey: String) {
        self.nodeId = nodeId
        self.name = name
        self.apiKey = apiKey
    }
}

/// What a node can do, sent with every heartbeat.
public struct NodeCapabilities: Codable, Sendable, Hashable {
    public var engines: [String]
    public var models: [String]
    public var device: String
    public var slots: Int
    public var freeSlots: Int
    /// Whether the node can tell speakers apart (diarization jobs go only to nodes that can).
    public var diarization: Bool?

    public init(engines: [String], models: [String], device: String, slots: Int, freeSlots: Int, diarization: Bool? = nil) {
        self.diarization = diarization
        self.engines = engines
        self.models = models
        self.device = device
        self.slots = slots
        self.freeSlots = freeSlots
    }
}

/// `POST /api/v1/node/heartbeat`.
public struct NodeHeartbeat: Codable, Sendable, Hashable {
    public var capabilities: NodeCapabilities
    public var runningJobs: [JobID]

    public init(capabilities: NodeCapabilities, runningJobs: [JobID]) {
        self.capabilities = capabilities
        self.runningJobs = runningJobs
    }
}

/// The server's answer to a heartbeat: who the node is and how often to call again.
public struct NodeHeartbeatReply: Codable, Sendable, Hashable {
    public var nodeId: String
    public var name: String
    public var state: NodeState
    public var heartbeatIntervalSeconds: Double

    public init(nodeId: String, name: String, state: NodeState, heartbeatIntervalSeconds: Double) {
        self.nodeId = nodeId
        self.name = name
        self.state = state
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
    }
}

/// `POST /api/v1/node/claim?wait=S` and `POST /api/v1/node/claims?wait=S`: the models this node
/// can run (nil: any).
public struct ClaimRequest: Codable, Sendable, Hashable {
    public var models: [String]?
    /// Whether the node can diarize (it has the speaker model); a node that does not say cannot.
    public var diarization: Bool?
    /// `claims` only: the most jobs to take at once (1 when absent), e.g. the node's free slots.
    public var max: Int?

    public init(models: [String]?, diarization: Bool? = nil, max: Int? = nil) {
        self.models = models
        self.diarization = diarization
        self.max = max
    }
}

/// `POST /api/v1/node/claims`' answer (200): one to `max` claimed jobs, each with its own lease.
public struct ClaimedWorkBatch: Codable, Sendable, Hashable {
    public var claims: [ClaimedWork]

    public init(claims: [ClaimedWork]) {
        self.claims = claims
    }
}

/// `POST /api/v1/node/completions`: several finished jobs' transcripts in one request, each
/// judged on its own (the job is the transcript's `job_id`).
public struct CompletionBatch: Codable, Sendable, Hashable {
    public var completions: [CompletionReport]
    /// The next work, in the same request: up to `claim.max` (1 when absent) jobs queued right
    /// now, as `POST /api/v1/node/claims?wait=0` would take them. Saves a node the claim request
    /// that follows every delivery.
    public var claim: ClaimRequest?

    public init(completions: [CompletionReport], claim: ClaimRequest? = nil) {
        self.completions = completions
        self.claim = claim
    }
}

/// `POST /api/v1/node/completions`' answer (200), one result per completion, in order.
public struct CompletionResults: Codable, Sendable, Hashable {
    public var results: [CompletionResult]
    /// The jobs claimed for the request's `claim` (possibly none); absent when it asked for none.
    public var claims: [ClaimedWork]?

    public init(results: [CompletionResult], claims: [ClaimedWork]? = nil) {
        self.results = results
        self.claims = claims
    }
}

/// What became of one completion: the status `POST /api/v1/node/jobs/{id}/complete` would have
/// answered (200 stored; 403 another node's job; 409 lease stale or job cancelled), with its
/// error when it was not stored.
public struct CompletionResult: Codable, Sendable, Hashable {
    public struct Problem: Codable, Sendable, Hashable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var jobId: JobID
    public var status: Int
    public var error: Problem?

    public init(jobId: JobID, status: Int, error: Problem? = nil) {
        self.jobId = jobId
        self.status = status
        self.error = error
    }
}

/// A claimed job and its lease (200), as opposed to 204 when nothing came within the wait.
public struct ClaimedWork: Codable, Sendable, Hashable {
    public var job: Job
    public var lease: Lease

    public init(job: Job, lease: Lease) {
        self.job = job
        self.lease = lease
    }
}

/// Identifies the attempt a report is about; a stale token is refused with 409.
public struct LeaseReference: Codable, Sendable, Hashable {
    public var token: Int64
    public var attempt: Int

    public init(token: Int64, attempt: Int) {
        self.token = token
        self.attempt = attempt
    }

    public init(_ lease: Lease) {
        self.init(token: lease.token, attempt: lease.attempt)
    }
}

/// `POST /api/v1/node/jobs/{id}/progress`: renews the lease. Replies with the renewed ``Lease``.
public struct ProgressReport: Codable, Sendable, Hashable {
    public var lease: LeaseReference
    public var progress: Double?
    /// Segments recognized since the last acknowledged report, if any.
    public var partial: PartialSegments?

    public init(lease: LeaseReference, progress: Double?, partial: PartialSegments? = nil) {
        self.lease = lease
        self.progress = progress
        self.partial = partial
    }
}

/// `POST /api/v1/node/jobs/{id}/complete`.
public struct CompletionReport: Codable, Sendable, Hashable {
    public var lease: LeaseReference
    public var transcript: Transcript

    public init(lease: LeaseReference, transcript: Transcript) {
        self.lease = lease
        self.transcript = transcript
    }
}

/// `POST /api/v1/node/jobs/{id}/fail`.
public struct FailureReport: Codable, Sendable, Hashable {
    public var lease: LeaseReference
    public var error: JobError
    public var retryable: Bool

    public init(lease: LeaseReference, error: JobError, retryable: Bool) {
        self.lease = lease
        self.error = error
        self.retryable = retryable
    }
}

/// `POST /api/v1/node/jobs/{id}/release`.
public struct ReleaseReport: Codable, Sendable, Hashable {
    public var lease: LeaseReference

    public init(lease: LeaseReference) { self.lease = lease }
}
