import Foundation
import Logging

/// Logs go to stderr so stdout stays clean for transcripts and machine-readable output.
enum LoggingSetup {
    static func bootstrap(level: String) throws -> Logger {
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationErrorText("log level '\(level)' is not one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
        var logger = Logger(label: "earshot")
        logger.logLevel = parsed
        return logger
    }
}

/// A message for the user, printed as-is by the command that fails with it.
struct ValidationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
