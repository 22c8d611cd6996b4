import EarshotCore
import Foundation

/// `/nodes`: registered nodes and what they can do.
struct NodesView {
    struct NodeView {
        var id: String
        var name: String
        var state: String
        var disabled: Bool
        var lastSeen: String
        var engine: String
        var jobsDone: Int
        var audioDone: String
    }

    var nav = NavState(nodes: true)
    var serverURL: String
    var nodes: [NodeView]

    init(serverURL: String, nodes: [(node: Node, state: NodeState)]) {
        self.serverURL = serverURL
        self.nodes = nodes.map { node, state in
            let capabilities = node.capabilities
            let engine = [capabilities?.engines.joined(separator: ", "), capabilities?.models.joined(separator: ", "), capabilities?.device,
                          capabilities?.diarization == true ? "speakers" : nil]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ")
            return NodeView(
                id: node.id, name: node.name, state: state.rawValue, disabled: node.disabled, lastSeen: WebFormat.date(node.lastHeartbeatAt),
                engine: engine.isEmpty ? "—" : engine, jobsDone: node.jobsDone, audioDone: WebFormat.duration(node.audioSecondsDone)
            )
        }
    }
}

/// `/settings`: the effective configuration, secrets masked, and plugin health.
struct SettingsView {
    struct Setting { var key: String; var value: String }
    struct PluginView { var name: String; var health: String; var handled: Int64; var failures: Int; var lastError: String }

    var nav = NavState(settings: true)
    var settings: [Setting]
    var plugins: [PluginView]

    init(configuration: ServerConfiguration, plugins: [PluginStatus]) throws {
        let data = try EarshotJSON.encoder().encode(configuration)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        settings = object.keys.sorted().map { key in
            Setting(key: key, value: Self.describe(Self.masked(object[key] as Any, key: key)))
        }
        self.plugins = plugins.map {
            PluginView(name: $0.name, health: $0.state.rawValue, handled: $0.cursor, failures: $0.consecutiveFailures, lastError: $0.lastError ?? "")
        }
    }

    static let secretWords = ["token", "secret", "password", "key"]

    /// Values under a secret-sounding key become "••••••" (or "not set"); credentials inside URLs
    /// are masked wherever they appear.
    static func masked(_ value: Any, key: String) -> Any {
        let lowered = key.lowercased()
        if secretWords.contains(where: lowered.contains), !(value is [Any]), !(value is [String: Any]) {
            return (value as? String).map { $0.isEmpty ? "not set" : "••••••" } ?? "••••••"
        }
        switch value {
        case let dictionary as [String: Any]:
            return dictionary.reduce(into: [String: Any]()) { $0[$1.key] = masked($1.value, key: $1.key) }
        case let array as [Any]:
            return array.map { masked($0, key: key) }
        case let text as String:
            return URLCredentials.masked(text)
        default:
            return value
        }
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default:
            guard JSONSerialization.isValidJSONObject(value),
                  let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
            else { return "\(value)" }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
