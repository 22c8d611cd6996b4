import ArgumentParser
import EarshotClient
import Foundation

/// `earshot node unregister`: removes the node from the server and deletes the local config.
struct NodeUnregisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unregister",
        abstract: "Remove this node from its server and delete the node config."
    )

    @OptionGroup var configOption: NodeConfigOption

    func run() async throws {
        let path = configOption.path
        let config = try configOption.load()
        guard let url = config.serverURL else { throw ValidationErrorText("invalid server URL '\(config.server)'") }
        var serverKnewKey = true
        do {
            try await NodeClient(baseURL: url, apiKey: config.apiKey).unregister()
        } catch let error as EarshotAPIError where error.status == 401 {
            // Already gone on the server (deleted by an admin): the local config is useless either way.
            serverKnewKey = false
        } catch {
            throw ValidationErrorText("could not unregister (config kept at \(path.path)): \(error)")
        }
        try FileManager.default.removeItem(at: path)
        if serverKnewKey {
            print("Unregistered node \(config.name) (\(config.nodeId)); removed \(path.path)")
        } else {
            print("The server did not know node \(config.name) (\(config.nodeId)); removed \(path.path) anyway")
        }
    }
}
