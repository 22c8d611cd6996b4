import ArgumentParser
import EarshotClient
import EarshotCore
import Foundation

/// `earshot node register`: obtains a key from the server and saves the node config.
struct NodeRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register this node with a server and save its key to the node config."
    )

    @Option(help: "The server's base URL, e.g. http://10.0.0.5:8080.")
    var server: String

    @Option(help: "A name for this node, shown in the server's node list.")
    var name: String

    @Option(help: "The server's admin token (default: EARSHOT_ADMIN_TOKEN).")
    var token: String?

    @Option(help: "Lower is preferred when several nodes could take a job.")
    var priority: Int?

    @Flag(help: "Overwrite an existing node config.")
    var force = false

    @OptionGroup var configOption: NodeConfigOption

    func validate() throws {
        guard NodeConfigFile.parseServer(server) != nil else { throw ValidationError("--server must be an http(s) URL") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--name must not be empty") }
    }

    func run() async throws {
        let path = configOption.path
        if !force, FileManager.default.fileExists(atPath: path.path) {
            throw ValidationErrorText("a node config already exists at \(path.path); unregister first or pass --force")
        }
        guard let url = NodeConfigFile.parseServer(server) else { throw ValidationErrorText("--server must be an http(s) URL") }
        let adminToken = token ?? ProcessInfo.processInfo.environment["EARSHOT_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let registration: NodeRegistration
        do {
            registration = try await AdminClient(baseURL: url, token: adminToken).registerNode(name: name, priority: priority)
        } catch let error as EarshotAPIError where error.status == 401 {
            throw ValidationErrorText("the server refused the admin token (pass --token or set EARSHOT_ADMIN_TOKEN): \(error.message)")
        } catch {
            throw ValidationErrorText("registration failed: \(error)")
        }
        let config = NodeConfigFile(server: server, nodeId: registration.nodeId, name: registration.name, apiKey: registration.apiKey)
        do {
            try config.save(to: path)
        } catch {
            // The key is shown only once; print it so the registration is not lost with the file.
            throw ValidationErrorText(
                "registered node \(registration.name) (\(registration.nodeId)) but could not save \(path.path): \(error); "
                    + "its API key is \(registration.apiKey)"
            )
        }
        print("Registered node \(registration.name) (\(registration.nodeId)); config saved to \(path.path)")
    }
}
