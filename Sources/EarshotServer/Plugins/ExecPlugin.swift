import EarshotAudio
import EarshotCore
import Foundation

/// `exec`: runs a command for each event, with the event's JSON on standard input (desktop
/// notifications, scripts). A non-zero exit or a timeout is a failure and is retried.
struct ExecPlugin: Plugin {
    let name: String
    let command: [String]
    let subscription: EventTypeFilter
    let timeout: Duration

    func start() async throws {
        guard command.first?.isEmpty == false else { throw PluginError("\(name): command is empty") }
    }

    func handle(_ event: Event, context: PluginContext) async throws {
        let input = try EarshotJSON.encoder().encode(event) + Data("\n".utf8)
        let command = self.command
        let result = try await withTimeout(timeout) {
            try await ProcessRunner.run(command[0], Array(command.dropFirst()), input: input)
        }
        guard result.status == 0, !result.killedBySignal else {
            throw PluginError("\(command[0]) exited with status \(result.status): \(result.standardErrorText.suffix(500))")
        }
    }
}

/// Why a plugin could not start or handle an event.
struct PluginError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
