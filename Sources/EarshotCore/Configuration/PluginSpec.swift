import Foundation

/// A plugin as the YAML configuration describes it:
///
/// ```yaml
/// plugins:
///   - type: export-folder
///     directory: /srv/transcripts
///     formats: [md, srt]
///   - type: exec
///     name: notify
///     command: [notify-send, Earshot]
///     types: job.succeeded,job.failed
///     timeout_seconds: 10
///   - type: webhook
///     url: https://hooks.example.com/earshot
///     secret: s3cret
///     types: [job.succeeded, job.failed]
///   - type: cleanup
///     retention_days: 30
///     interval_minutes: 60
///   - type: llm-suggestions
///     url: http://127.0.0.1:11434/v1   # any OpenAI-compatible API
///     model: llama3.1
///     api_key: sk-…                    # optional
/// ```
public enum PluginSpec: Sendable, Hashable, Codable {
    case exportFolder(name: String, directory: String, formats: [ExportFormat])
    case exec(name: String, command: [String], types: String, timeoutSeconds: Double)
    case webhook(name: String, url: String, secret: String?, types: String, timeoutSeconds: Double)
    case cleanup(name: String, retentionSeconds: Double, intervalSeconds: Double)
    case llmSuggestions(name: String, url: String, model: String, apiKey: String?, timeoutSeconds: Double)

    public var name: String {
        switch self {
        case .exportFolder(let name, _, _), .exec(let name, _, _, _), .webhook(let name, _, _, _, _), .cleanup(let name, _, _),
             .llmSuggestions(let name, _, _, _, _): name
        }
    }

    /// Reads the `plugins` list of a configuration file; every problem names the entry.
    public static func parse(_ value: Any, file: String) throws(ConfigurationInputError) -> [PluginSpec] {
        guard let entries = value as? [Any] else { throw ConfigurationInputError("\(file): 'plugins' must be a list") }
        var specs: [PluginSpec] = []
        for (index, entry) in entries.enumerated() {
            let label = "\(file): plugins[\(index)]"
            guard let fields = entry as? [String: Any] else { throw ConfigurationInputError("\(label) must be a mapping") }
            func text(_ key: String) -> String? { fields[key].map { "\($0)" } }
            let type = text("type") ?? ""
            let name = text("name") ?? type
            guard name.range(of: "^[a-z0-9][a-z0-9_-]{0,62}$", options: .regularExpression) != nil else {
                throw ConfigurationInputError("\(label): name '\(name)' must be lowercase letters, digits, '-' or '_'")
            }
            guard !specs.contains(where: { $0.name == name }) else {
                throw ConfigurationInputError("\(label): a plugin named '\(name)' is already configured; give each a distinct name")
            }
            switch type {
            case "export-folder":
                guard let directory = text("directory"), !directory.isEmpty else {
                    throw ConfigurationInputError("\(label): export-folder needs a directory")
                }
                let names = (fields["formats"] as? [Any])?.map { "\($0)" } ?? text("formats")?.split(separator: ",").map(String.init) ?? ["md"]
                var formats: [ExportFormat] = []
                for formatName in names {
                    guard let format = ExportFormat(rawValue: formatName.trimmingCharacters(in: .whitespaces)) else {
                        throw ConfigurationInputError("\(label): unknown format '\(formatName)'; use \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    formats.append(format)
                }
                specs.append(.exportFolder(name: name, directory: directory, formats: formats))
            case "webhook":
                guard let url = text("url"), let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                      parsed.host?.isEmpty == false
                else {
                    throw ConfigurationInputError("\(label): webhook needs an http(s) url")
                }
                let types = try Self.types(fields, label: label)
                let timeout = try Self.timeout(text("timeout_seconds"), label: label)
                specs.append(.webhook(name: name, url: url, secret: text("secret"), types: types, timeoutSeconds: timeout))
            case "exec":
                let command = (fields["command"] as? [Any])?.map { "\($0)" } ?? []
                guard !command.isEmpty, !command[0].isEmpty else {
                    throw ConfigurationInputError("\(label): exec needs a command, a list such as [notify-send, Earshot]")
                }
                let types = try Self.types(fields, label: label)
                let timeout = try Self.timeout(fields["timeout_seconds"].map { "\($0)" }, label: label)
                specs.append(.exec(name: name, command: command, types: types, timeoutSeconds: timeout))
            case "cleanup":
                let retentionDays = try Self.number(text("retention_days"), default: 30, label: label, key: "retention_days", allowZero: true)
                let intervalMinutes = try Self.number(text("interval_minutes"), default: 60, label: label, key: "interval_minutes", allowZero: false)
                specs.append(.cleanup(name: name, retentionSeconds: retentionDays * 86_400, intervalSeconds: intervalMinutes * 60))
            case "llm-suggestions":
                guard let url = text("url"), let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                      parsed.host?.isEmpty == false
                else {
                    throw ConfigurationInputError("\(label): llm-suggestions needs the http(s) url of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1")
                }
                guard let model = text("model"), !model.isEmpty else {
                    throw ConfigurationInputError("\(label): llm-suggestions needs a model")
                }
                let timeout = try Self.timeout(text("timeout_seconds") ?? "60", label: label)
                specs.append(.llmSuggestions(name: name, url: url, model: model, apiKey: text("api_key"), timeoutSeconds: timeout))
            default:
                throw ConfigurationInputError("\(label): unknown plugin type '\(type)'; use export-folder, exec, webhook, cleanup or llm-suggestions")
            }
        }
        return specs
    }

    /// `types` as a list or comma-separated text (default `job.succeeded`), checked.
    private static func types(_ fields: [String: Any], label: String) throws(ConfigurationInputError) -> String {
        let types = (fields["types"] as? [Any])?.map { "\($0)" }.joined(separator: ",") ?? fields["types"].map { "\($0)" } ?? "job.succeeded"
        do {
            _ = try EventTypeFilter(parsing: types)
        } catch {
            throw ConfigurationInputError("\(label): \(error.description)")
        }
        return types
    }

    private static func number(_ text: String?, default value: Double, label: String, key: String, allowZero: Bool) throws(ConfigurationInputError) -> Double {
        guard let text else { return value }
        guard let number = Double(text), number.isFinite, allowZero ? number >= 0 : number > 0 else {
            throw ConfigurationInputError("\(label): \(key) must be a \(allowZero ? "non-negative" : "positive") number")
        }
        return number
    }

    private static func timeout(_ text: String?, label: String) throws(ConfigurationInputError) -> Double {
        let timeout = text.flatMap(Double.init) ?? 30
        guard timeout > 0, timeout.isFinite else { throw ConfigurationInputError("\(label): timeout_seconds must be positive") }
        return timeout
    }
}
