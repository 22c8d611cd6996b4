import EarshotCore
import EarshotStore
import Foundation
import Logging

/// Opens the store a configuration names: the embedded SQLite file, or a PostgreSQL database
/// shared with other replicas.
enum StoreOpening {
    static func open(_ configuration: ServerConfiguration, dataDirectory: URL, logger: Logger) async throws -> any Store {
        let retryPolicy = RetryPolicy(baseDelaySeconds: configuration.retryBaseSeconds, maxDelaySeconds: configuration.retryMaxSeconds)
        guard !configuration.databaseURL.isEmpty else {
            return try SQLiteStore(path: dataDirectory.appendingPathComponent("earshot.sqlite").path, retryPolicy: retryPolicy)
        }
        let url = try PostgresDatabaseURL(parsing: configuration.databaseURL)
        do {
            let store = try await PostgresStore(url: url, retryPolicy: retryPolicy, logger: logger)
            logger.info("using PostgreSQL", metadata: ["database": "\(url)"])
            return store
        } catch let error as PostgresUnreachable {
            throw StoreOpeningError(description: error.description)
        } catch {
            // The URL is shown masked: errors must not carry the password into logs.
            throw StoreOpeningError(description: "cannot open the PostgreSQL database \(url): \(String(reflecting: error))")
        }
    }

    /// Where live utterances' WAV files live: beside the shared media when `media_dir` is set, so
    /// any replica serves a draft's audio whichever replica recorded it (`drafts/` is never one of
    /// the media store's own folders, which are named by two hex digits, and `incoming/`).
    static func draftAudioRoot(_ configuration: ServerConfiguration, dataDirectory: URL) -> URL {
        configuration.mediaDirectory.isEmpty
            ? dataDirectory.appendingPathComponent("drafts", isDirectory: true)
            : mediaRoot(configuration, dataDirectory: dataDirectory).appendingPathComponent("drafts", isDirectory: true)
    }

    /// Where uploaded media lives.
    static func mediaRoot(_ configuration: ServerConfiguration, dataDirectory: URL) -> URL {
        configuration.mediaDirectory.isEmpty
            ? dataDirectory.appendingPathComponent("media", isDirectory: true)
            : URL(fileURLWithPath: configuration.mediaDirectory, isDirectory: true).standardizedFileURL
    }
}

struct StoreOpeningError: Error, CustomStringConvertible {
    var description: String
}
