import EarshotEngine
import EarshotStore
import EarshotCore
import Foundation
import NIOCore

/// Everything `earshot serve` can be told. The CLI fills it from flags, `EARSHOT_*` variables and
/// a YAML file, in that order of precedence; these defaults apply last.
public struct ServerConfiguration: Sendable, Hashable, Codable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./earshot-data"
    /// Empty: the embedded SQLite file in the data directory. `postgres://user:password@host/db`:
    /// a PostgreSQL database, which several servers (replicas) may share.
    public var databaseURL = ""
    /// Where uploaded media is kept; empty: `media/` in the data directory. Replicas on one
    /// PostgreSQL database must share it (an NFS mount or the like): a node downloads a job's
    /// media from whichever replica it talks to.
    public var mediaDirectory = ""
    /// Built-in worker slots; 0 runs a server that only queues (remote nodes do the work).
    public var workers = 1
    /// The model jobs use when they name none, loaded at start and kept warm.
    public var model = "tiny.en"
    /// Models a job may ask for by name.
    public var allowedModels = ["tiny.en", "base"]
    public var beamSize = 5
    public var maxUploadBytes: Int64 = 2 * 1024 * 1024 * 1024
    /// A claim lasts this long without a heartbeat before the job goes back to the queue.
    public var leaseSeconds = 120.0
    public var maxAttempts = 3
    public var retryBaseSeconds = 5.0
    public var retryMaxSeconds = 300.0
    public var shutdownGraceSeconds = 30.0
    /// The speech engine of the built-in workers and live sessions: `faster-whisper` or `whisper.cpp`.
    public var engine = EngineKind.fasterWhisper.rawValue
    /// The Python interpreter with faster-whisper; empty means `EARSHOT_PYTHON`, `./.venv`, `python3`.
    public var python = ""
    /// CPU threads per engine process; 0 means cores divided among the workers.
    public var threads = 0
    public var logLevel = "info"
    /// Names this server's built-in workers in leases; defaults to the host name.
    public var instanceName = ""
    /// An administrator's bearer key without a user (for node registration scripts); on a server
    /// without accounts, admin routes need it when it is set.
    public var adminToken = ""
    /// `auto`: accounts are on once a user exists (or `EARSHOT_ADMIN_PASSWORD` creates one); until
    /// then the server runs open, which only a loopback address allows. `accounts`: always on; with
    /// no users yet, a one-time setup token is printed at start.
    public var auth = "auto"
    /// bcrypt's cost for password hashes (2^cost rounds; 12 takes ~0.25 s here). Below 10 is for tests.
    public var passwordHashCost = 12
    /// How long a browser session lasts after signing in.
    public var sessionLifetimeHours = 168.0
    /// A request's head must arrive within this many seconds of the connection opening or the
    /// previous response (slow-loris clients, idle keep-alive connections); else 408 and close.
    public var requestHeaderTimeoutSeconds = 30.0
    /// A request's body may pause this long between chunks; else 408 and close.
    public var requestBodyIdleSeconds = 60.0
    /// How often nodes are asked to heartbeat.
    public var nodeHeartbeatIntervalSeconds = 15.0
    /// A node with no heartbeat for this long is shown offline.
    public var nodeHeartbeatTimeoutSeconds = 60.0
    /// Events older than this are pruned from the log.
    public var eventRetentionDays = 7.0
    /// The log keeps at most this many (the newest) events.
    public var eventRetentionMaxEvents = 1_000_000
    /// A stream subscriber this many events behind the newest, and falling further behind, is sent
    /// `resync` and disconnected, to catch up from the log by reconnecting.
    public var eventSubscriberMaxLag = 1000
    /// Origins (`https://app.example.com`, or `*`) whose web pages may call the API from a browser; empty: none.
    public var corsOrigins: [String] = []
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client; from anyone
    /// else the header is ignored, so clients cannot pick the address their limits are kept under.
    public var trustedProxies: [String] = []
    /// Requests per second each client address, and each bearer key, may make on average (0: no limit).
    public var rateLimitPerSecond = 50.0
    /// Requests a client may make at once before the average applies.
    public var rateLimitBurst = 500
    /// Live sessions (`/api/v1/live`) served at once; more are told to come back later.
    public var liveMaxSessions = 4
    /// Each ended live utterance is queued again for this better model (quick model first,
    /// better model later); its text becomes a WHISPER_REPROCESS revision. Empty turns it off.
    public var liveReprocessModel = "base"
    /// A stream source that delivers no audio for this long is restarted (per-stream default).
    public var streamStallSeconds = 15.0
    /// Whether stream sources may be `file:` URLs (played at real-time speed). Off by default: a
    /// client could otherwise make the server read any file it can open. For testing and demos.
    public var streamFileSources = false
    /// How long `POST /v1/audio/transcriptions` waits for its job before answering 504 (the job
    /// goes on).
    public var openAIWaitSeconds = 600.0
    /// Whether `POST /api/v1/jobs {"url"}` may fetch from loopback, private and link-local
    /// addresses. Off: a server that fetches what it is told must not be a way into its network.
    public var allowPrivateURLs = false
    /// How long fetching a URL may take, all of it.
    public var urlDownloadTimeoutSeconds = 600.0
    /// A folder whose new audio and video files are queued (empty: none).
    public var watchDirectory = ""
    /// How often the watched folder is scanned; a file is taken once two scans agree on its size.
    public var watchIntervalSeconds = 2.0
    /// A watched file is taken only after it has not changed for this long.
    public var watchSettleSeconds = 5.0
    /// How often the server looks for feeds due for a poll (each feed has its own interval).
    public var feedCheckSeconds = 60.0
    /// How alike (cosine of voice centroids) a transcript's speaker and an enrolled speaker must be
    /// for the transcript to take the enrolled name.
    public var speakerMatchThreshold = SpeakerRecognition.defaultThreshold
    /// Plugins to run, from the configuration file's `plugins` list.
    public var plugins: [PluginSpec] = []

    public init() {}

    /// Lists problems a user must fix before the server can start.
    public func validationErrors() -> [String] {
        var problems: [String] = []
        if !(0...65535).contains(port) { problems.append("port must be 0...65535, got \(port)") }
        if workers < 0 || workers > 64 { problems.append("workers must be 0...64, got \(workers)") }
        if !databaseURL.isEmpty {
            do {
                _ = try PostgresDatabaseURL(parsing: databaseURL)
            } catch {
                problems.append("database_url: \(error)")
            }
        }
        if maxUploadBytes < 1 { problems.append("max_upload_bytes must be positive") }
        if leaseSeconds < 2 { problems.append("lease_seconds must be at least 2") }
        if maxAttempts < 1 { problems.append("max_attempts must be at least 1") }
        if !(1...10).contains(beamSize) { problems.append("beam_size must be 1...10, got \(beamSize)") }
        if threads < 0 { problems.append("threads must not be negative") }
        if dataDirectory.isEmpty { problems.append("data_dir must not be empty") }
        if nodeHeartbeatIntervalSeconds <= 0 { problems.append("node_heartbeat_interval_seconds must be positive") }
        if nodeHeartbeatTimeoutSeconds <= nodeHeartbeatIntervalSeconds {
            problems.append("node_heartbeat_timeout_seconds must exceed node_heartbeat_interval_seconds")
        }
        if EngineKind(rawValue: engine) == nil { problems.append("engine must be \(EngineKind.names), got '\(engine)'") }
        for origin in corsOrigins where !CORSOrigins.isValid(origin) {
            problems.append("cors_origins: '\(origin)' is not an origin (http(s)://host[:port], or *)")
        }
        for proxy in trustedProxies where IPAddressRange(proxy) == nil {
            problems.append("trusted_proxies: '\(proxy)' is not an IP address or CIDR block (10.0.0.0/8, fd00::/8)")
        }
        if rateLimitPerSecond < 0 || !rateLimitPerSecond.isFinite { problems.append("rate_limit_per_second must be 0 or more") }
        if rateLimitBurst < 1 { problems.append("rate_limit_burst must be at least 1") }
        if eventRetentionDays <= 0 { problems.append("event_retention_days must be positive") }
        if eventSubscriberMaxLag < 1 { problems.append("event_subscriber_max_lag must be at least 1") }
        if !liveReprocessModel.isEmpty, !allowedModels.contains(liveReprocessModel) {
            problems.append("live_reprocess_model '\(liveReprocessModel)' is not in allowed_models")
        }
        if !(0...64).contains(liveMaxSessions) { problems.append("live_max_sessions must be 0...64, got \(liveMaxSessions)") }
        if !(1...3600).contains(streamStallSeconds) { problems.append("stream_stall_seconds must be 1...3600, got \(streamStallSeconds)") }
        if !(1...86_400).contains(urlDownloadTimeoutSeconds) {
            problems.append("url_download_timeout_seconds must be 1...86400, got \(urlDownloadTimeoutSeconds)")
        }
        if !(0...86_400).contains(watchSettleSeconds) { problems.append("watch_settle_seconds must be 0...86400, got \(watchSettleSeconds)") }
        if !(1...86_400).contains(feedCheckSeconds) { problems.append("feed_check_seconds must be 1...86400, got \(feedCheckSeconds)") }
        if !(0.1...3600).contains(watchIntervalSeconds) { problems.append("watch_interval_seconds must be 0.1...3600, got \(watchIntervalSeconds)") }
        if !(1...86_400).contains(openAIWaitSeconds) { problems.append("openai_wait_seconds must be 1...86400, got \(openAIWaitSeconds)") }
        if eventRetentionMaxEvents < 1000 { problems.append("event_retention_max_events must be at least 1000") }
        if !(0.1...3600).contains(requestHeaderTimeoutSeconds) {
            problems.append("request_header_timeout_seconds must be 0.1...3600, got \(requestHeaderTimeoutSeconds)")
        }
        if !(0.1...3600).contains(requestBodyIdleSeconds) {
            problems.append("request_body_idle_seconds must be 0.1...3600, got \(requestBodyIdleSeconds)")
        }
        if !(0.5...1).contains(speakerMatchThreshold) {
            problems.append("speaker_match_threshold must be 0.5...1 (cosine similarity), got \(speakerMatchThreshold)")
        }
        if !["auto", "accounts"].contains(auth) { problems.append("auth must be auto or accounts, got '\(auth)'") }
        if !(4...16).contains(passwordHashCost) { problems.append("password_hash_cost must be 4...16, got \(passwordHashCost)") }
        if !(0.01...8760).contains(sessionLifetimeHours) {
            problems.append("session_lifetime_hours must be 0.01...8760, got \(sessionLifetimeHours)")
        }
        return problems
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    var resolvedInstanceName: String {
        instanceName.isEmpty ? ProcessInfo.processInfo.hostName : instanceName
    }

    var trustedProxyRanges: [IPAddressRange] { trustedProxies.compactMap(IPAddressRange.init) }

    var connectionLimits: ConnectionLimits {
        ConnectionLimits(
            headerTimeout: .milliseconds(Int64(requestHeaderTimeoutSeconds * 1000)),
            bodyIdleTimeout: .milliseconds(Int64(requestBodyIdleSeconds * 1000))
        )
    }

    var engineKind: EngineKind { EngineKind(rawValue: engine) ?? .fasterWhisper }

    var threadsPerEngine: Int {
        if threads > 0 { return threads }
        return max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, workers))
    }
}
