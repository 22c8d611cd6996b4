import EarshotCore
import Foundation

extension PluginSpec {
    func makePlugin() throws -> any Plugin {
        switch self {
        case .exportFolder(let name, let directory, let formats):
            return ExportFolderPlugin(name: name, directory: URL(fileURLWithPath: directory, isDirectory: true), formats: formats)
        case .exec(let name, let command, let types, let timeoutSeconds):
            return ExecPlugin(
                name: name, command: command, subscription: try EventTypeFilter(parsing: types),
                timeout: .milliseconds(Int64(timeoutSeconds * 1000))
            )
        case .webhook(let name, let url, let secret, let types, let timeoutSeconds):
            return WebhookPlugin(
                name: name, url: url, secret: secret, subscription: try EventTypeFilter(parsing: types),
                timeout: .milliseconds(Int64(timeoutSeconds * 1000))
            )
        case .cleanup(let name, let retentionSeconds, let intervalSeconds):
            return CleanupPlugin(
                name: name, retention: retentionSeconds, interval: .milliseconds(Int64(intervalSeconds * 1000))
            )
        case .llmSuggestions(let name, let url, let model, let apiKey, let timeoutSeconds):
            return LLMSuggestionPlugin(name: name, url: url, model: model, apiKey: apiKey, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        }
    }
}
