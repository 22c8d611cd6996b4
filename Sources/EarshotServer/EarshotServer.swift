import EarshotAudio
import EarshotCore
import EarshotDiarization
import EarshotEngine
import EarshotNode
import EarshotStore
import EarshotWhisperCpp
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Assembles `earshot serve`: store, engines, built-in workers and the HTTP API, run as one
/// service group that shuts down gracefully on SIGTERM/SIGINT (server first, then workers, which
/// finish or release their jobs, then engines).
public enum EarshotServer {
    /// Builds the application; `onListening` receives the bound address once the socket is open.
    public static func makeApplication(
        configuration: ServerConfiguration, logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) async throws -> some ApplicationProtocol {
        let problems = configuration.validationErrors()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        _ = EarshotMetrics.registry  // metric handles created below must see the real backend

        let dataDirectory = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true).standardizedFileURL
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let store = try await StoreOpening.open(configuration, dataDirectory: dataDirectory, logger: logger)
        let media = try MediaStore(root: StoreOpening.mediaRoot(configuration, dataDirectory: dataDirectory))
        let signal = WorkSignal()
        let decoder = AudioDecoder()

        let instance = configuration.resolvedInstanceName
        let holders = (1...64).map { "builtin:\(instance):\($0)" }
        let reclaimed = try await store.reclaimLeases(heldBy: holders, now: Date())
        if !reclaimed.isEmpty {
            logger.notice("re-queued jobs left running by the previous process", metadata: ["count": "\(reclaimed.count)"])
        }

        let engine = RecognizerFactory(
            engine: configuration.engineKind,
            python: configuration.python.isEmpty ? FasterWhisperConfiguration.defaultPython : configuration.python,
            modelsDirectory: dataDirectory.appendingPathComponent("models", isDirectory: true),
            defaultModel: configuration.model, threads: configuration.threadsPerEngine
        )
        let recognizers = (0..<configuration.workers).map { _ in engine.makeRecognizer(logger: logger) }
        // Loaded on first use, so a server that never diarizes does not pay for it.
        let speakerModel = ResemblyzerDiarizer.ifInstalled(logger: logger)
        // Without the speaker model (or with no built-in workers) diarization jobs wait for a node that has it.
        let diarizer = configuration.workers > 0 ? speakerModel : nil
        let source = LocalWorkSource(
            store: store, media: media, leaseSeconds: configuration.leaseSeconds, signal: signal,
            canDiarize: diarizer != nil, speakerMatchThreshold: configuration.speakerMatchThreshold
        )
        let workers: [any Service] = recognizers.enumerated().map { index, recognizer in
            TranscriptionWorker(
                configuration: WorkerConfiguration(
                    holder: holders[index], shutdownGrace: .milliseconds(Int64(configuration.shutdownGraceSeconds * 1000)),
                    scratchDirectory: dataDirectory.appendingPathComponent("scratch", isDirectory: true)
                ),
                source: source, recognizer: recognizer, diarizer: diarizer, decoder: decoder, logger: logger
            )
        }

        let plugins: [any Plugin]
        do {
            plugins = try configuration.plugins.map { try $0.makePlugin() }
        } catch {
            throw ConfigurationError(problems: ["plugins: \(error)"])
        }
        let pluginHost = PluginHost(plugins: plugins, store: store, media: media, logger: logger)
        let gate = try await AccountGate.prepare(
            store: store, configuration: configuration, environment: ProcessInfo.processInfo.environment, logger: logger
        )
        // Live sessions get an engine of their own, so a long batch job never delays a final; it
        // starts with the first live client.
        let liveRecognizer = engine.makeRecognizer(logger: logger)
        let (router, streams) = assemble(
            store: store, media: media, recognizers: recognizers, signal: signal, configuration: configuration, decoder: decoder,
            plugins: pluginHost, liveRecognizer: liveRecognizer, speakerModel: speakerModel, gate: gate
        )

        // Graceful shutdown runs in reverse order: streams store their last utterances while the
        // live engine still runs.
        let services: [any Service] = [
            EngineStopService(recognizer: liveRecognizer),
            streams.service,
            EngineLifecycleService(recognizers: recognizers, logger: logger),
        ] + housekeeping(store: store, signal: signal, configuration: configuration, logger: logger)
            + [ReplicaSingleton(role: "plugins", store: store, inner: pluginHost)] + workers
            + (store is PostgresStore ? [ReplicaWake(store: store, signal: signal)] : [])
            + watchers(store: store, media: media, decoder: decoder, signal: signal, configuration: configuration, logger: logger)
                .map { ReplicaSingleton(role: "folder-watch", store: store, inner: $0) as any Service }
            + [ReplicaSingleton(role: "feed-polling", store: store, inner: feedPolling(
                store: store, intake: JobIntake(store: store, media: media, decoder: decoder, signal: signal, configuration: configuration),
                configuration: configuration, logger: logger
            ))]
        return Application(
            router: router,
            server: .guardedHTTP1WebSocketUpgrade(webSocketRouter: router, limits: configuration.connectionLimits),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "earshot"),
            services: services,
            onServerRunning: { channel in
                onListening(configuration.host, channel.localAddress?.port ?? configuration.port)
            },
            logger: logger
        )
    }
}

extension EarshotServer {
    /// Every route the server answers. Separate from ``makeApplication`` so tests can check the
    /// routes against the OpenAPI document without starting engines.
    public static func makeRouter(
        store: any Store, media: MediaStore, recognizers: [any SpeechRecognizer], signal: WorkSignal,
        configuration: ServerConfiguration, decoder: AudioDecoder = AudioDecoder(), plugins: PluginHost? = nil,
        liveRecognizer: (any SpeechRecognizer)? = nil
    ) -> Router<EarshotRequestContext> {
        makeRouter(
            store: store, media: media, recognizers: recognizers, signal: signal, configuration: configuration, decoder: decoder,
            plugins: plugins, liveRecognizer: liveRecognizer,
            gate: AccountGate(store: store, configuration: configuration, accountsOn: false, setupToken: nil)
        )
    }

    /// The routes behind a given account gate (tests choose accounts on or off).
    static func makeRouter(
        store: any Store, media: MediaStore, recognizers: [any SpeechRecognizer], signal: WorkSignal,
        configuration: ServerConfiguration, decoder: AudioDecoder = AudioDecoder(), plugins: PluginHost? = nil,
        liveRecognizer: (any SpeechRecognizer)? = nil, gate: AccountGate
    ) -> Router<EarshotRequestContext> {
        assemble(
            store: store, media: media, recognizers: recognizers, signal: signal, configuration: configuration, decoder: decoder,
            plugins: plugins, liveRecognizer: liveRecognizer, speakerModel: nil, gate: gate
        ).router
    }

    /// The routes, and the stream sources' manager they share with the service group.
    static func assemble(
        store: any Store, media: MediaStore, recognizers: [any SpeechRecognizer], signal: WorkSignal,
        configuration: ServerConfiguration, decoder: AudioDecoder, plugins: PluginHost?, liveRecognizer: (any SpeechRecognizer)?,
        speakerModel: (any SpeakerDiarizing)?, gate: AccountGate
    ) -> (router: Router<EarshotRequestContext>, streams: StreamManager) {
        let router = Router(context: EarshotRequestContext.self)
        router.middlewares.add(SecurityHeadersMiddleware())
        router.middlewares.add(ErrorMiddleware())
        if !configuration.trustedProxyRanges.isEmpty {
            router.middlewares.add(ClientAddressMiddleware(trusted: configuration.trustedProxyRanges))
        }
        if !configuration.corsOrigins.isEmpty {
            router.middlewares.add(CORSAllowListMiddleware(origins: configuration.corsOrigins))
        }
        if configuration.rateLimitPerSecond > 0 {
            let limiter = RateLimiter(ratePerSecond: configuration.rateLimitPerSecond, burst: Double(configuration.rateLimitBurst))
            router.middlewares.add(RateLimitMiddleware(limiter: limiter))
        }
        router.middlewares.add(AccessControlMiddleware(gate: gate))
        HealthRoutes(store: store, recognizers: recognizers).register(on: router)
        MetricsRoute(store: store).register(on: router)
        let api = router.group("api/v1")
        AccountRoutes(gate: gate).register(on: api)
        JobRoutes(store: store, media: media, decoder: decoder, signal: signal, configuration: configuration).register(on: api)
        let intake = JobIntake(store: store, media: media, decoder: decoder, signal: signal, configuration: configuration)
        OpenAIRoutes(intake: intake, store: store, configuration: configuration).register(on: router)
        FeedRoutes(store: store, poller: feedPoller(store: store, intake: intake), configuration: configuration).register(on: api)
        NodeAdminRoutes(store: store, configuration: configuration).register(on: api)
        NodeRoutes(store: store, media: media, signal: signal, configuration: configuration).register(on: api)
        QueueStatsRoute(store: store, signal: signal).register(on: api)
        SearchRoute(store: store).register(on: api)
        TranscriptRoutes(store: store).register(on: api)
        JobShareRoutes(store: store).register(on: api)
        SpeakerRoutes(store: store).register(on: api)
        let feed = EventFeed(store: store)
        EventRoutes(store: store, feed: feed, maxLag: configuration.eventSubscriberMaxLag).register(on: api)
        EventSocketRoute(store: store, feed: feed, configuration: configuration).register(on: api)
        let dataDirectory = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true).standardizedFileURL
        let draftAudio = StoreOpening.draftAudioRoot(configuration, dataDirectory: dataDirectory)
        let liveEngine = liveRecognizer.map {
            LiveEngine(recognizer: $0, scratch: dataDirectory.appendingPathComponent("scratch", isDirectory: true), logger: Logger(label: "earshot.live"))
        }
        LiveRoute(store: store, engine: liveEngine, configuration: configuration, draftAudio: draftAudio, media: media, signal: signal)
            .register(on: api)
        DraftRoutes(store: store, draftAudio: draftAudio).register(on: api)
        let finisher = liveEngine.map {
            DraftFinisher(store: store, engine: $0, configuration: configuration, draftAudio: draftAudio, media: media, signal: signal)
        }
        let streams = StreamManager(
            store: store, finisher: finisher, speakerModel: speakerModel, enrolledThreshold: configuration.speakerMatchThreshold,
            logger: Logger(label: "earshot.streams")
        )
        StreamRoutes(store: store, manager: streams, configuration: configuration).register(on: api)
        api.get("plugins") { _, _ in try jsonResponse(PluginList(plugins: plugins?.status ?? [])) }
        do {
            let assets = try WebAssets.load()
            WebRoutes(
                store: store, media: media, configuration: configuration, plugins: plugins, assets: assets, streams: streams, gate: gate
            ).register(on: router)
        } catch {
            // A build without the UI's files still serves the API, and says what is wrong.
            let problem = "\(error)"
            router.get("/") { _, _ -> Response in throw APIError(.internalServerError, "web_ui_missing", problem) }
        }
        return (router, streams)
    }
}

extension EarshotServer {
    /// The web UI's routes (GET): pages for people, outside the versioned API and its document.
    public static var webUIPaths: [String] { WebRoutes.paths.map(\.description) }
}

/// Stops an engine that starts on demand (the live one) when the server shuts down.
struct EngineStopService: Service {
    let recognizer: any SpeechRecognizer

    func run() async throws {
        try? await gracefulShutdown()
        await recognizer.shutdown()
    }
}

/// The configuration cannot be used; every problem is listed so the user fixes them in one go.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid configuration: " + problems.joined(separator: "; ") }
}
