import ArgumentParser
import EarshotClient
import EarshotCore
import Foundation

/// `earshot events`: the server's event log.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Watch the server's event log.",
        subcommands: [EventsTailCommand.self]
    )
}

/// `earshot events tail`: prints events as they happen, one JSON object per line.
struct EventsTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print events as they happen, one JSON object per line.",
        discussion: """
            Reconnects by itself after a dropped connection and resumes after the last event it \
            printed, so nothing is missed or printed twice. Connection notices go to stderr.
            """
    )

    @Option(help: "The server.")
    var server = "http://127.0.0.1:8080"

    @Option(help: "Comma-separated types or families, e.g. 'job.*,node.online' (default: all).")
    var types = ""

    @Option(help: "Only events of this job.")
    var job: String?

    @Option(help: "Replay events after this seq first (0: the whole log).")
    var after: Int64?

    @Option(help: "Exit after this many events.")
    var count: Int?

    func validate() throws {
        if let after, after < 0 { throw ValidationError("--after must be 0 or more") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard URL(string: server)?.host != nil else { throw ValidationError("--server must be a URL such as http://127.0.0.1:8080") }
        do {
            _ = try EventTypeFilter(parsing: types)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        guard let url = URL(string: server) else { throw ValidationError("invalid --server") }
        let follower = EventFollower(baseURL: url, types: types, correlationId: job)
        let encoder = EarshotJSON.encoder()
        var printed = 0
        do {
            for try await item in follower.follow(after: after) {
                switch item {
                case .event(let event):
                    // Unbuffered, so a pipe (`| jq`) sees each event as it happens.
                    FileHandle.standardOutput.write(try encoder.encode(event) + Data("\n".utf8))
                    printed += 1
                    if let count, printed >= count { return }
                case .resync(let resumeFrom):
                    FileHandle.standardError.write(Data("earshot: events before seq \(resumeFrom + 1) were pruned; continuing from there\n".utf8))
                case .disconnected(let reason, let retryIn):
                    FileHandle.standardError.write(Data("earshot: connection lost (\(reason)); retrying in \(retryIn)\n".utf8))
                }
            }
        } catch let error as EarshotAPIError {
            throw ValidationError("the server refused: \(error.message)")
        }
    }
}
