import ArgumentParser
import EarshotClient
import EarshotCore
import Foundation

/// `earshot node status`: shows the saved config and whether the server accepts this node.
struct NodeStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the node config and check the server accepts this node (exit 1 if not)."
    )

    @OptionGroup var configOption: NodeConfigOption

    func run() async throws {
        let config = try configOption.load()
        print("Node:    \(config.name)")
        print("ID:      \(config.nodeId)")
        print("Server:  \(config.server)")
        print("Key:     \(config.maskedKey)")
        print("Config:  \(configOption.path.path)")
        guard let url = config.serverURL else { throw ValidationErrorText("invalid server URL '\(config.server)'") }
        do {
            let reply = try await NodeClient(baseURL: url, apiKey: config.apiKey).whoami()
            print("Connected (state: \(reply.state.rawValue))")
        } catch let error as EarshotAPIError where error.status == 401 {
            print("Not connected: the server does not know this node's key (unregistered or revoked)")
            throw ExitCode.failure
        } catch {
            print("Not connected: \(error)")
            throw ExitCode.failure
        }
    }
}
