import ArgumentParser
import EarshotServer
import Foundation
import Hummingbird
import Logging

/// `earshot serve`: the HTTP API with built-in workers.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Earshot server: HTTP API, job queue and built-in transcription workers.",
        discussion: """
            Settings come from, in rising precedence: built-in defaults, the YAML file given by \
            --config (or EARSHOT_CONFIG), EARSHOT_* environment variables, and these flags. Every \
            setting has the same name in each layer: --data-dir, EARSHOT_DATA_DIR and data_dir: in YAML.
            """
    )

    @Option(help: "YAML configuration file (env EARSHOT_CONFIG).")
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1; env EARSHOT_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (default 8080; env EARSHOT_PORT).")
    var port: Int?

    @Option(help: "Directory for the database, media and models (default ./earshot-data; env EARSHOT_DATA_DIR).")
    var dataDir: String?

    @Option(name: .customLong("database"), help: ArgumentHelp(
        "postgres://user:password@host:5432/db to use PostgreSQL, which several servers may share; default: SQLite in the data directory (env EARSHOT_DATABASE_URL).",
        valueName: "url"
    ))
    var databaseURL: String?

    @Option(help: "Directory for uploaded media, shared by every server on one PostgreSQL database (default: DATA_DIR/media; env EARSHOT_MEDIA_DIR).")
    var mediaDir: String?

    @Option(help: "Built-in worker slots, each with its own engine process; 0 only queues (default 1; env EARSHOT_WORKERS).")
    var workers: Int?

    @Option(help: "Default model, loaded at start: tiny.en or base (default tiny.en; env EARSHOT_MODEL).")
    var model: String?

    @Option(help: "Comma-separated models jobs may request (default tiny.en,base; env EARSHOT_ALLOWED_MODELS).")
    var allowedModels: String?

    @Option(help: "Beam size for decoding, 1-10 (default 5; env EARSHOT_BEAM_SIZE).")
    var beamSize: Int?

    @Option(help: "Largest accepted upload in bytes (default 2147483648; env EARSHOT_MAX_UPLOAD_BYTES).")
    var maxUploadBytes: Int64?

    @Option(help: "Seconds a claimed job's lease lasts without renewal (default 120; env EARSHOT_LEASE_SECONDS).")
    var leaseSeconds: Double?

    @Option(help: "Attempts before a job fails for good (default 3; env EARSHOT_MAX_ATTEMPTS).")
    var maxAttempts: Int?

    @Option(help: "First retry delay in seconds, doubled each attempt (default 5; env EARSHOT_RETRY_BASE_SECONDS).")
    var retryBaseSeconds: Double?

    @Option(help: "Longest retry delay in seconds (default 300; env EARSHOT_RETRY_MAX_SECONDS).")
    var retryMaxSeconds: Double?

    @Option(help: "On SIGTERM, seconds a running job may finish before its lease is released (default 30; env EARSHOT_SHUTDOWN_GRACE_SECONDS).")
    var shutdownGraceSeconds: Double?

    @Option(help: "Speech engine: faster-whisper or whisper.cpp (default faster-whisper; env EARSHOT_ENGINE).")
    var engine: String?

    @Option(help: "Python interpreter with faster-whisper (default: EARSHOT_PYTHON, ./.venv/bin/python, python3; env EARSHOT_PYTHON).")
    var python: String?

    @Option(help: "CPU threads per engine; 0 divides the cores among workers (default 0; env EARSHOT_THREADS).")
    var threads: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (default info; env EARSHOT_LOG_LEVEL).")
    var logLevel: String?

    @Option(help: "Name of this server in job leases (default: host name; env EARSHOT_INSTANCE_NAME).")
    var instanceName: String?

    @Option(help: "An administrator's bearer key without a user, for node registration scripts (env EARSHOT_ADMIN_TOKEN).")
    var adminToken: String?

    @Option(help: ArgumentHelp(
        "auto: accounts once a user exists (EARSHOT_ADMIN_PASSWORD creates the first admin), open on loopback until then; accounts: always, printing a one-time setup token while there are no users (env EARSHOT_AUTH).",
        valueName: "auto|accounts"
    ))
    var auth: String?

    @Option(help: "Seconds between node heartbeats (default 15; env EARSHOT_NODE_HEARTBEAT_INTERVAL_SECONDS).")
    var nodeHeartbeatIntervalSeconds: Double?

    @Option(help: "Seconds without a heartbeat before a node shows offline (default 60; env EARSHOT_NODE_HEARTBEAT_TIMEOUT_SECONDS).")
    var nodeHeartbeatTimeoutSeconds: Double?

    @Option(help: "Days the event log keeps events (default 7; env EARSHOT_EVENT_RETENTION_DAYS).")
    var eventRetentionDays: Double?

    @Option(help: "Most events the log keeps, the newest (default 1000000; env EARSHOT_EVENT_RETENTION_MAX_EVENTS).")
    var eventRetentionMaxEvents: Int?

    @Option(help: "Events a stream subscriber may fall behind before it is told to resync (default 1000).")
    var eventSubscriberMaxLag: Int?

    @Option(name: .customLong("watch"), help: ArgumentHelp("Queue audio and video files dropped into this folder; queued files move to its done/ (env EARSHOT_WATCH_DIR).", valueName: "dir"))
    var watchDirectory: String?

    /// Only the flags the user gave, keyed like the YAML file.
    var givenFlags: [String: String] {
        let pairs: [(String, String?)] = [
            ("host", host), ("port", port.map(String.init)), ("data_dir", dataDir), ("database_url", databaseURL), ("media_dir", mediaDir),
            ("workers", workers.map(String.init)),
            ("model", model), ("allowed_models", allowedModels), ("beam_size", beamSize.map(String.init)),
            ("max_upload_bytes", maxUploadBytes.map(String.init)), ("lease_seconds", leaseSeconds.map { "\($0)" }),
            ("max_attempts", maxAttempts.map(String.init)), ("retry_base_seconds", retryBaseSeconds.map { "\($0)" }),
            ("retry_max_seconds", retryMaxSeconds.map { "\($0)" }), ("shutdown_grace_seconds", shutdownGraceSeconds.map { "\($0)" }),
            ("engine", engine), ("python", python), ("threads", threads.map(String.init)), ("log_level", logLevel), ("instance_name", instanceName),
            ("admin_token", adminToken), ("auth", auth), ("node_heartbeat_interval_seconds", nodeHeartbeatIntervalSeconds.map { "\($0)" }),
            ("node_heartbeat_timeout_seconds", nodeHeartbeatTimeoutSeconds.map { "\($0)" }),
            ("event_retention_days", eventRetentionDays.map { "\($0)" }),
            ("event_retention_max_events", eventRetentionMaxEvents.map(String.init)),
            ("event_subscriber_max_lag", eventSubscriberMaxLag.map(String.init)), ("watch_dir", watchDirectory),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings: ServerConfiguration
        do {
            settings = try ConfigurationLoader.load(
                configFile: config ?? environment["EARSHOT_CONFIG"], environment: environment, flags: givenFlags
            )
            let problems = settings.validationErrors()
            if !problems.isEmpty { throw ValidationErrorText("invalid configuration: " + problems.joined(separator: "; ")) }
        } catch {
            throw ValidationError("\(error)")
        }
        let logger = try LoggingSetup.bootstrap(level: settings.logLevel)
        let app = try await EarshotServer.makeApplication(configuration: settings, logger: logger) { host, port in
            // Printed (not only logged) so scripts and tests can wait for it instead of sleeping.
            FileHandle.standardOutput.write(Data("earshot listening on http://\(host):\(port)\n".utf8))
        }
        try await app.runService()
    }
}
