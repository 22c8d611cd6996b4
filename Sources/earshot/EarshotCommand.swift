import ArgumentParser
import EarshotCore

/// The `earshot` command-line tool.
@main
struct EarshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot",
        abstract: "Self-hosted speech transcription: a server with a job queue, and one-shot transcription.",
        version: EarshotVersion.current,
        subcommands: [ServeCommand.self, TranscribeCommand.self, SubmitCommand.self, FeedsCommand.self, ListenCommand.self, NodeCommand.self, EventsCommand.self, ModelsCommand.self, VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("earshot \(EarshotVersion.current)")
    }
}
