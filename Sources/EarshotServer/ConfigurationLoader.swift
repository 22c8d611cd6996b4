import EarshotCore
import Foundation

/// Builds a ``ServerConfiguration`` from, in rising precedence: defaults, a YAML file,
/// `EARSHOT_*` environment variables and command-line flags.
///
/// Every layer speaks the same snake_case keys (`data_dir` in YAML, `EARSHOT_DATA_DIR` in the
/// environment, `--data-dir` on the command line), so one table below defines them all.
public enum ConfigurationLoader {
    /// One setting: its key and how to apply a text value to the configuration.
    struct Setting: Sendable {
        var key: String
        var apply: @Sendable (inout ServerConfiguration, String) throws -> Void

        var environmentName: String { "EARSHOT_" + key.uppercased() }
    }

    static let settings: [Setting] = [
        text("host") { $0.host = $1 },
        integer("port") { $0.port = $1 },
        text("data_dir") { $0.dataDirectory = $1 },
        text("database_url") { $0.databaseURL = $1 },
        text("media_dir") { $0.mediaDirectory = $1 },
        integer("workers") { $0.workers = $1 },
        text("model") { $0.model = $1 },
        Setting(key: "allowed_models") { configuration, value in configuration.allowedModels = ConfigurationValue.list(value) },
        integer("beam_size") { $0.beamSize = $1 },
        Setting(key: "max_upload_bytes") { configuration, value in
            guard let bytes = Int64(value) else { throw ConfigurationInputError("max_upload_bytes: '\(value)' is not an integer") }
            configuration.maxUploadBytes = bytes
        },
        number("lease_seconds") { $0.leaseSeconds = $1 },
        integer("max_attempts") { $0.maxAttempts = $1 },
        number("retry_base_seconds") { $0.retryBaseSeconds = $1 },
        number("retry_max_seconds") { $0.retryMaxSeconds = $1 },
        number("shutdown_grace_seconds") { $0.shutdownGraceSeconds = $1 },
        text("engine") { $0.engine = $1 },
        text("python") { $0.python = $1 },
        integer("threads") { $0.threads = $1 },
        text("log_level") { $0.logLevel = $1 },
        text("instance_name") { $0.instanceName = $1 },
        text("admin_token") { $0.adminToken = $1 },
        text("auth") { $0.auth = $1 },
        integer("password_hash_cost") { $0.passwordHashCost = $1 },
        number("session_lifetime_hours") { $0.sessionLifetimeHours = $1 },
        number("request_header_timeout_seconds") { $0.requestHeaderTimeoutSeconds = $1 },
        number("request_body_idle_seconds") { $0.requestBodyIdleSeconds = $1 },
        number("node_heartbeat_interval_seconds") { $0.nodeHeartbeatIntervalSeconds = $1 },
        number("node_heartbeat_timeout_seconds") { $0.nodeHeartbeatTimeoutSeconds = $1 },
        number("event_retention_days") { $0.eventRetentionDays = $1 },
        integer("event_retention_max_events") { $0.eventRetentionMaxEvents = $1 },
        integer("event_subscriber_max_lag") { $0.eventSubscriberMaxLag = $1 },
        Setting(key: "cors_origins") { configuration, value in configuration.corsOrigins = ConfigurationValue.list(value) },
        Setting(key: "trusted_proxies") { configuration, value in configuration.trustedProxies = ConfigurationValue.list(value) },
        number("rate_limit_per_second") { $0.rateLimitPerSecond = $1 },
        integer("rate_limit_burst") { $0.rateLimitBurst = $1 },
        integer("live_max_sessions") { $0.liveMaxSessions = $1 },
        text("live_reprocess_model") { $0.liveReprocessModel = $1 },
        number("stream_stall_seconds") { $0.streamStallSeconds = $1 },
        boolean("stream_file_sources") { $0.streamFileSources = $1 },
        number("openai_wait_seconds") { $0.openAIWaitSeconds = $1 },
        boolean("allow_private_urls") { $0.allowPrivateURLs = $1 },
        text("watch_dir") { $0.watchDirectory = $1 },
        number("watch_interval_seconds") { $0.watchIntervalSeconds = $1 },
        number("watch_settle_seconds") { $0.watchSettleSeconds = $1 },
        number("feed_check_seconds") { $0.feedCheckSeconds = $1 },
        number("url_download_timeout_seconds") { $0.urlDownloadTimeoutSeconds = $1 },
        number("speaker_match_threshold") { $0.speakerMatchThreshold = $1 },
    ]

    /// The keys every layer accepts.
    public static var keys: [String] { settings.map(\.key) }

    /// Merges the layers. `flags` holds only the flags the user actually gave.
    public static func load(
        configFile: String?, environment: [String: String], flags: [String: String]
    ) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        let byKey = Dictionary(uniqueKeysWithValues: settings.map { ($0.key, $0) })
        if let configFile {
            let (values, plugins) = try yamlValues(at: configFile)
            configuration.plugins = plugins
            for (key, value) in values {
                guard let setting = byKey[key] else {
                    throw ConfigurationInputError("\(configFile): unknown key '\(key)'; known keys: \(keys.joined(separator: ", "))")
                }
                try setting.apply(&configuration, value)
            }
        }
        for setting in settings {
            if let value = environment[setting.environmentName] { try setting.apply(&configuration, value) }
        }
        for (key, value) in flags {
            guard let setting = byKey[key] else { throw ConfigurationInputError("unknown setting '\(key)'") }
            try setting.apply(&configuration, value)
        }
        return configuration
    }

    /// Reads a configuration file: its settings as text and its `plugins` list.
    static func yamlValues(at path: String) throws -> (values: [String: String], plugins: [PluginSpec]) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationInputError("cannot read config file \(path): \(error.localizedDescription)")
        }
        let file = try ConfigurationFile.parse(text, name: path)
        return (file.values, file.plugins)
    }

    private static func text(_ key: String, _ set: @escaping @Sendable (inout ServerConfiguration, String) -> Void) -> Setting {
        Setting(key: key) { configuration, value in set(&configuration, value) }
    }

    private static func integer(_ key: String, _ set: @escaping @Sendable (inout ServerConfiguration, Int) -> Void) -> Setting {
        Setting(key: key) { configuration, value in set(&configuration, try ConfigurationValue.integer(value, key: key)) }
    }

    private static func boolean(_ key: String, _ set: @escaping @Sendable (inout ServerConfiguration, Bool) -> Void) -> Setting {
        Setting(key: key) { configuration, value in set(&configuration, try ConfigurationValue.boolean(value, key: key)) }
    }

    private static func number(_ key: String, _ set: @escaping @Sendable (inout ServerConfiguration, Double) -> Void) -> Setting {
        Setting(key: key) { configuration, value in set(&configuration, try ConfigurationValue.number(value, key: key)) }
    }
}
