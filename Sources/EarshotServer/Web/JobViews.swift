import EarshotCore
import Foundation

/// Which navigation entry is the current page.
struct NavState {
    var dashboard = false, jobs = false, live = false, search = false, nodes = false, settings = false
}

/// A job as a row of the jobs list, the dashboard and the job page.
struct JobRowView {
    var id: String
    var filename: String
    var state: String
    var running: Bool
    var progress: Double
    var created: String
    var createdISO: String
    var duration: String
    var transcript: Bool
    var cancellable: Bool
    var retryable: Bool

    init(_ job: Job) {
        id = job.id.rawValue
        filename = job.media.filename.isEmpty ? job.id.rawValue : job.media.filename
        state = job.state.rawValue
        running = job.state == .running
        progress = job.progress
        created = WebFormat.date(job.createdAt)
        createdISO = WebFormat.iso(job.createdAt)
        duration = WebFormat.duration(job.media.durationSeconds)
        transcript = job.state == .succeeded
        cancellable = job.state == .queued || job.state == .running
        retryable = job.state == .failed || job.state == .cancelled
    }
}

/// `/jobs`: upload form, filters and the list.
struct JobsView {
    struct Model { var name: String; var isDefault: Bool }
    struct Language { var code: String; var name: String }
    struct StateOption { var name: String; var selected: Bool }

    var nav = NavState(jobs: true)
    var models: [Model]
    var languages: [Language]
    var states: [StateOption]
    var from: String
    var to: String
    var filtered: Bool
    var error: String?
    var jobs: [JobRowView]
    var nextPage: String?
    var latestSeq: Int64

    /// Languages Whisper knows well enough to offer up front; the API accepts any code.
    static let commonLanguages = [
        ("en", "English"), ("de", "German"), ("fr", "French"), ("es", "Spanish"), ("it", "Italian"), ("pt", "Portuguese"),
        ("nl", "Dutch"), ("pl", "Polish"), ("sv", "Swedish"), ("ru", "Russian"), ("uk", "Ukrainian"), ("tr", "Turkish"),
        ("ar", "Arabic"), ("hi", "Hindi"), ("ja", "Japanese"), ("ko", "Korean"), ("zh", "Chinese"),
    ].map { Language(code: $0.0, name: $0.1) }
}

/// `/jobs/{id}`: everything known about one job.
struct JobDetailView {
    struct AttemptView { var number: Int; var holder: String; var started: String; var ended: String; var outcome: String; var error: String }
    struct EventView { var time: String; var timeISO: String; var type: String; var source: String; var detail: String }

    var nav = NavState(jobs: true)
    var job: JobRowView
    var model: String
    var language: String
    var priority: Int
    var size: String
    var started: String?
    var finished: String?
    var processing: String?
    var attemptCount: Int
    var maxAttempts: Int
    var errorMessage: String?
    var attempts: [AttemptView]
    var events: [EventView]
    var latestSeq: Int64
    /// Who else sees the job; nil on a server without accounts (no one to share with).
    var sharing: ShareSectionView?

    init(job: Job, attempts: [Attempt], events: [Event], latestSeq: Int64, sharing: ShareSectionView? = nil) {
        self.sharing = sharing
        self.job = JobRowView(job)
        model = job.options.model
        language = job.options.language ?? "detect"
        priority = job.priority
        size = WebFormat.bytes(job.media.sizeBytes) + (job.media.removedAt == nil ? "" : " (removed by retention)")
        started = job.startedAt.map(WebFormat.date)
        finished = job.finishedAt.map(WebFormat.date)
        if let start = job.startedAt, let end = job.finishedAt { processing = WebFormat.duration(end.timeIntervalSince(start)) }
        attemptCount = job.attemptsUsed
        maxAttempts = job.maxAttempts
        errorMessage = job.lastError.map { "\($0.message) (\($0.code))" }
        self.attempts = attempts.map {
            AttemptView(
                number: $0.number, holder: $0.holder, started: WebFormat.date($0.startedAt), ended: WebFormat.date($0.endedAt),
                outcome: $0.outcome.rawValue, error: $0.error?.message ?? ""
            )
        }
        self.events = events.map { event in
            EventView(
                time: WebFormat.date(event.time), timeISO: WebFormat.iso(event.time), type: event.type.rawValue, source: event.source,
                detail: Self.detail(event.data)
            )
        }
        self.latestSeq = latestSeq
    }

    static func detail(_ data: EventData) -> String {
        switch data {
        case .job(let job):
            [job.attempt.map { "attempt \($0)" }, job.reason.map { "reason: \($0)" }, job.progress.map { WebFormat.percent($0) },
             job.error.map { "error: \($0.message)" }].compactMap { $0 }.joined(separator: " · ")
        case .segments(let segments): "\(segments.segments.count) segment(s) from #\(segments.firstIndex + 1)"
        case .transcript(let transcript):
            transcript.segment.map { "segment \($0 + 1) revised (\(transcript.source?.rawValue ?? "unknown"))" }
                ?? "\(transcript.segmentCount) segments, \(WebFormat.duration(transcript.durationSeconds))"
        case .node(let node): node.name
        case .draft(let draft): draft.draftId
        case .plugin(let plugin): "\(plugin.plugin): \(plugin.message)"
        case .stream(let stream): "\(stream.name): \(stream.state.rawValue)"
        case .audit(let audit): [audit.actor, audit.target, audit.detail].compactMap { $0 }.joined(separator: " · ")
        }
    }
}
