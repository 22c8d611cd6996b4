import ArgumentParser
import EarshotClient
import EarshotCore
import Foundation

/// `earshot feeds`: podcast subscriptions on a server.
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds",
        abstract: "Subscribe to podcast feeds; new episodes are transcribed as they appear.",
        subcommands: [FeedsAddCommand.self, FeedsListCommand.self, FeedsPollCommand.self, FeedsRemoveCommand.self]
    )
}

/// The server and admin token every `earshot feeds` subcommand takes.
struct FeedsServerOptions: ParsableArguments {
    @Option(help: "The server.")
    var server = "http://127.0.0.1:8080"

    @Option(help: "The server's admin token (env EARSHOT_ADMIN_TOKEN).")
    var token: String?

    func client() throws -> FeedsClient {
        guard let url = URL(string: server), url.host != nil else { throw ValidationError("--server must be a URL such as http://127.0.0.1:8080") }
        return FeedsClient(baseURL: url, token: token ?? ProcessInfo.processInfo.environment["EARSHOT_ADMIN_TOKEN"])
    }

    /// Runs a call, turning the server's refusal into one line and a non-zero exit.
    func run<T>(_ call: (FeedsClient) async throws -> T) async throws -> T {
        do {
            return try await call(try client())
        } catch let error as EarshotAPIError {
            throw ValidationError(error.message)
        }
    }
}

struct FeedsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Subscribe to a feed (polled at once).")

    @OptionGroup var options: FeedsServerOptions
    @Argument(help: "The feed's URL.") var url: String
    @Option(help: "How many of the newest episodes to take now.") var backlog = 0
    @Option(help: "Minutes between polls.") var pollMinutes = 60.0
    @Option(help: "Model for its jobs (default: the server's).") var model: String?
    @Flag(help: "Record new episodes without queueing them.") var noAutoQueue = false

    func run() async throws {
        let answer = try await options.run {
            try await $0.subscribe(url: url, autoQueue: !noAutoQueue, model: model, backlog: backlog, pollMinutes: pollMinutes)
        }
        print("\(answer.feed.id)  \(answer.feed.title)")
        if let poll = answer.poll { print(FeedsPollCommand.describe(poll)) }
    }
}

struct FeedsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List subscribed feeds.")

    @OptionGroup var options: FeedsServerOptions

    func run() async throws {
        for feed in try await options.run({ try await $0.feeds() }) {
            let state = feed.lastError.map { "failing (\(feed.failures)): \($0)" } ?? "next poll \(ISO8601Timestamp.format(feed.nextPollAt))"
            print("\(feed.id)  \(feed.title.isEmpty ? URLCredentials.masked(feed.url) : feed.title)  \(state)")
        }
    }
}

struct FeedsPollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "poll", abstract: "Poll a feed now.")

    @OptionGroup var options: FeedsServerOptions
    @Argument(help: "The feed's id.") var id: String

    func run() async throws {
        if let poll = try await options.run({ try await $0.poll(id) }).poll { print(Self.describe(poll)) }
    }

    static func describe(_ poll: FeedPollSummary) -> String {
        poll.unchanged
            ? "unchanged"
            : "\(poll.newEpisodes) new episode(s): \(poll.queued) queued, \(poll.imported) imported from the publisher's transcript, \(poll.failed) failed"
    }
}

struct FeedsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Unsubscribe from a feed.")

    @OptionGroup var options: FeedsServerOptions
    @Argument(help: "The feed's id.") var id: String

    func run() async throws {
        try await options.run { try await $0.remove(id) }
        print("removed \(id)")
    }
}
