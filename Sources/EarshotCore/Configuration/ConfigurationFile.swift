import Foundation
import Yams

/// A configuration file's text as settings: a flat YAML mapping of `key: value` (lists become
/// comma-separated text) and its `plugins` list. Pure, so any text a user might write can be
/// fuzzed; which keys exist and what their values mean is the server's business.
public struct ConfigurationFile: Sendable, Hashable {
    /// Every setting as text, by key.
    public var values: [String: String]
    public var plugins: [PluginSpec]

    public init(values: [String: String], plugins: [PluginSpec]) {
        self.values = values
        self.plugins = plugins
    }

    /// The most nodes a file may have (aliases count each time they are used): a handful of
    /// settings and plugins need hundreds, an alias bomb billions.
    public static let maxNodes = 100_000

    /// Reads `text`; `name` (the file's path) starts every message.
    public static func parse(_ text: String, name: String) throws(ConfigurationInputError) -> ConfigurationFile {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationInputError("\(name) is not valid YAML: \(error)")
        }
        guard let root else { return ConfigurationFile(values: [:], plugins: []) }
        var budget = maxNodes
        let loaded = try plain(root, budget: &budget, name: name)
        guard let mapping = loaded as? [String: Any] else {
            throw ConfigurationInputError("\(name) must be a mapping of setting: value")
        }
        var values: [String: String] = [:]
        var plugins: [PluginSpec] = []
        for (key, value) in mapping {
            if key == "plugins" {
                plugins = try PluginSpec.parse(value, file: name)
                continue
            }
            switch value {
            case let list as [Any]: values[key] = list.map { "\($0)" }.joined(separator: ",")
            case let nested as [String: Any]:
                throw ConfigurationInputError("\(name): '\(key)' must be a plain value, not a mapping (\(nested.keys.count) keys)")
            default: values[key] = "\(value)"
            }
        }
        return ConfigurationFile(values: values, plugins: plugins)
    }

    /// The node as text (scalars exactly as written), lists and mappings with text keys. Yams's own
    /// conversion is not used: it crashes the process on a mapping whose key is itself a list or a
    /// mapping (found by fuzzing), and it would expand aliases without limit.
    private static func plain(_ node: Yams.Node, budget: inout Int, name: String) throws(ConfigurationInputError) -> Any {
        budget -= 1
        guard budget >= 0 else { throw ConfigurationInputError("\(name) is too large (over \(maxNodes) values, counting aliases)") }
        switch node {
        case .scalar(let scalar):
            return scalar.string
        case .sequence(let sequence):
            var items: [Any] = []
            for item in sequence { items.append(try plain(item, budget: &budget, name: name)) }
            return items
        case .mapping(let mapping):
            var fields: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    throw ConfigurationInputError("\(name): a key must be plain text, not a list or a mapping (line \((key.mark?.line).map(String.init) ?? "?"))")
                }
                fields[scalar.string] = try plain(value, budget: &budget, name: name)
            }
            return fields
        case .alias:
            throw ConfigurationInputError("\(name): YAML aliases are not supported")
        }
    }
}

/// A setting's text as the kind of value it holds; every failure names the key.
public enum ConfigurationValue {
    public static func integer(_ text: String, key: String) throws(ConfigurationInputError) -> Int {
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else { throw ConfigurationInputError("\(key): '\(text)' is not an integer") }
        return number
    }

    /// A finite number.
    public static func number(_ text: String, key: String) throws(ConfigurationInputError) -> Double {
        guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            throw ConfigurationInputError("\(key): '\(text)' is not a number")
        }
        return number
    }

    /// `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`, in any case.
    public static func boolean(_ text: String, key: String) throws(ConfigurationInputError) -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationInputError("\(key): '\(text)' is not true or false")
        }
    }

    /// A comma-separated list, each item trimmed, empty ones dropped.
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A configuration a user must fix; the message says where and what.
public struct ConfigurationInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
