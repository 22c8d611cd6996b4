import EarshotCore
import Foundation

/// What `earshot node register` saves and every other `earshot node` command reads: where the
/// server is and this node's identity. Holds the API key, so it is written readable by the owner only.
struct NodeConfigFile: Codable, Equatable {
    var server: String
    var nodeId: String
    var name: String
    var apiKey: String

    /// `--config`, else `EARSHOT_NODE_CONFIG`, else `~/.config/earshot/node.json`.
    static func resolvePath(_ given: String?) -> URL {
        if let given, !given.isEmpty { return URL(fileURLWithPath: (given as NSString).expandingTildeInPath) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["EARSHOT_NODE_CONFIG"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: (fromEnvironment as NSString).expandingTildeInPath)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/earshot/node.json")
    }

    static func load(from url: URL) throws -> NodeConfigFile {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationErrorText("no node config at \(url.path); run `earshot node register` first")
        }
        let config: NodeConfigFile
        do {
            config = try EarshotJSON.decoder().decode(NodeConfigFile.self, from: Data(contentsOf: url))
        } catch DecodingError.keyNotFound(let key, _) {
            throw ValidationErrorText("node config \(url.path) lacks '\(key.stringValue.snakeCased)'; run `earshot node register` again")
        } catch {
            throw ValidationErrorText("node config \(url.path) is not valid JSON for a node config")
        }
        guard config.serverURL != nil else {
            throw ValidationErrorText("node config \(url.path) has an invalid server URL '\(config.server)'")
        }
        guard !config.apiKey.isEmpty, !config.nodeId.isEmpty else {
            throw ValidationErrorText("node config \(url.path) lacks node_id or api_key")
        }
        return config
    }

    /// Writes the file with mode 0600, creating its directory.
    func save(to url: URL) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let data = try EarshotJSON.encoder(pretty: true).encode(self) + Data("\n".utf8)
        // Created with 0600 so the key is never readable by others, then set again explicitly
        // because an existing file keeps its old mode.
        guard manager.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationErrorText("could not write node config to \(url.path)")
        }
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }

    var serverURL: URL? { Self.parseServer(server) }

    /// Accepts only absolute http(s) URLs, so a typo fails here rather than as a connection error.
    static func parseServer(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else { return nil }
        return url
    }

    /// `esk_…abcd`: enough to tell keys apart without showing one.
    var maskedKey: String {
        let prefix = apiKey.split(separator: "_", maxSplits: 1).first.map { "\($0)_" } ?? ""
        return "\(prefix)…\(apiKey.suffix(4))"
    }
}

extension String {
    /// `nodeId` → `node_id`, to name a missing key as it is spelled in the file.
    fileprivate var snakeCased: String {
        reduce(into: "") { result, character in
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
    }
}
