import ArgumentParser
import EarshotClient
import EarshotCore
import EarshotDiarization
import EarshotEngine
import EarshotNode
import EarshotNodeStatus
import EarshotWhisperCpp
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `earshot node start`: claims jobs from the server and transcribes them on this machine.
struct NodeStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Run the node: claim jobs from the server, transcribe them here, report the results.",
        discussion: """
            Runs until SIGTERM or SIGINT; then running jobs get a grace period to finish before \
            they are handed back to the server.
            """
    )

    @OptionGroup var configOption: NodeConfigOption

    @Option(help: "Jobs transcribed at once, each with its own engine process.")
    var slots = 1

    @Option(help: "Comma-separated models this node runs; the first is loaded at start.")
    var models = "tiny.en"

    @Option(help: "Speech engine: faster-whisper (a Python process) or whisper.cpp (in process, no Python needed).")
    var engine: EngineKind = .fasterWhisper

    @Option(help: "Python interpreter with faster-whisper (default: EARSHOT_PYTHON, ./.venv/bin/python, python3).")
    var python: String?

    @Option(help: "CPU threads per engine (default: the cores divided among the slots).")
    var threads: Int?

    @Option(help: "Directory for downloaded media and models (default ~/.cache/earshot/node).")
    var dataDir: String?

    @Option(help: "Seconds a running job may keep going after SIGTERM before it is handed back to the server.")
    var shutdownGrace = 30.0

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Address the local status UI listens on; keep it on loopback unless the machine is trusted.")
    var statusHost = "127.0.0.1"

    @Option(help: "Port of the local status UI (0 picks a free one, -1 disables it); nodes sharing a machine need different ports.")
    var statusPort = 8001

    var modelList: [String] {
        models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard slots >= 1 else { throw ValidationError("--slots must be at least 1") }
        guard !modelList.isEmpty else { throw ValidationError("--models must name at least one model") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard shutdownGrace >= 0, shutdownGrace.isFinite else { throw ValidationError("--shutdown-grace must be 0 or more seconds") }
        guard (-1...65535).contains(statusPort) else { throw ValidationError("--status-port must be 0...65535, or -1 to disable") }
    }

    func run() async throws {
        let config = try configOption.load()
        guard let serverURL = config.serverURL else { throw ValidationErrorText("invalid server URL '\(config.server)'") }
        let logger = try LoggingSetup.bootstrap(level: logLevel)
        let client = NodeClient(baseURL: serverURL, apiKey: config.apiKey)
        try await checkKey(client, logger: logger)

        let dataDirectory = dataDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/earshot/node", isDirectory: true)
        let scratch = dataDirectory.appendingPathComponent("scratch", isDirectory: true)
        // Media left by a previous run that crashed belongs to leases that are long gone.
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        let modelList = modelList
        let factory = RecognizerFactory(
            engine: engine, python: python ?? FasterWhisperConfiguration.defaultPython,
            modelsDirectory: dataDirectory.appendingPathComponent("models", isDirectory: true),
            defaultModel: modelList[0], threads: threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / slots)
        )
        let recognizers = (0..<slots).map { _ in factory.makeRecognizer(logger: logger) }
        let diarizer = ResemblyzerDiarizer.ifInstalled(logger: logger)
        let source = HTTPWorkSource(
            client: client, models: modelList, canDiarize: diarizer != nil, scratchDirectory: scratch, slots: slots, logger: logger
        )
        let workers = recognizers.map { recognizer in
            TranscriptionWorker(
                configuration: WorkerConfiguration(
                    // The server checks claims and reports against this holder name.
                    holder: Node.leaseHolder(forNodeID: config.nodeId), shutdownGrace: .milliseconds(Int64(shutdownGrace * 1000)),
                    idleCheckInterval: .seconds(1), scratchDirectory: scratch
                ),
                source: source, recognizer: recognizer, diarizer: diarizer, logger: logger
            )
        }
        let status = NodeStatusModel(
            name: config.name, nodeID: config.nodeId, serverURL: serverURL, serverKey: config.apiKey,
            settings: NodeSettings(
                slots: slots, models: modelList, engine: engine.rawValue, python: engine == .whisperCpp ? "not used" : factory.python,
                threads: factory.threads, dataDir: dataDirectory.path, diarization: diarizer != nil
            )
        )
        status.setSlotReader { workers.enumerated().map { SlotStatus(index: $0.offset + 1, worker: $0.element) } }
        let heartbeat = NodeHeartbeatService(
            client: client, workers: workers, models: modelList, engines: [engine.rawValue], canDiarize: diarizer != nil, logger: logger, onBeat: { status.recordHeartbeat($0) }
        )
        // A group shuts down in reverse order: workers finish or release their jobs first, the
        // heartbeat keeps reporting them meanwhile, and the engines stop last.
        var services: [any Service] = [EngineLifecycleService(recognizers: recognizers, logger: logger), heartbeat] + workers
        if statusPort >= 0 {
            // First in the group, so it stops last: the page shows jobs finishing during a shutdown.
            services.insert(NodeStatusServer(model: status, host: statusHost, port: statusPort, logger: logger) { host, port in
                FileHandle.standardOutput.write(Data("earshot node status UI on http://\(host):\(port)\n".utf8))
            }, at: 0)
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        // Printed (not only logged) so scripts can wait for it.
        FileHandle.standardOutput.write(Data("earshot node \(config.name) started (\(slots) slots) against \(config.server)\n".utf8))
        try await group.run()
    }

    /// Fails fast on a key the server rejects; an unreachable server is only logged, since the
    /// node keeps retrying until it comes up.
    private func checkKey(_ client: NodeClient, logger: Logger) async throws {
        let probe = NodeHeartbeat(
            capabilities: NodeCapabilities(
                engines: [engine.rawValue], models: modelList, device: "cpu", slots: slots, freeSlots: slots
            ),
            runningJobs: []
        )
        do {
            _ = try await client.heartbeat(probe)
        } catch let error as EarshotAPIError where error.status == 401 {
            throw ValidationErrorText("the server does not know this node's key (unregistered or revoked); register again")
        } catch {
            logger.warning("server not reachable yet; will keep trying", metadata: ["error": "\(error)"])
        }
    }
}

extension EngineKind: ExpressibleByArgument {}
