import ArgumentParser
import Foundation

/// `earshot node`: run this machine as a remote transcriber for an Earshot server.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run this machine as a remote transcription node of an Earshot server.",
        discussion: """
            Register once with an admin token (`earshot node register`), which saves the node's \
            key to a config file; then `earshot node start` claims jobs from the server, \
            transcribes them here and sends the transcripts back.
            """,
        subcommands: [
            NodeRegisterCommand.self, NodeStartCommand.self, NodeStatusCommand.self, NodeUnregisterCommand.self,
        ]
    )
}

/// The `--config` option every node subcommand shares.
struct NodeConfigOption: ParsableArguments {
    @Option(help: "Node config file (default: EARSHOT_NODE_CONFIG, else ~/.config/earshot/node.json).")
    var config: String?

    var path: URL { NodeConfigFile.resolvePath(config) }

    func load() throws -> NodeConfigFile { try NodeConfigFile.load(from: path) }
}
