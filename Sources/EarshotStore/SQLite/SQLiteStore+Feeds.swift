import EarshotCore
import Foundation
import GRDB

/// Feeds and episodes are kept as JSON documents: their fields change with the formats feeds use,
/// and nothing queries inside them but the keys.
extension SQLiteStore {
    public func createFeed(_ feed: Feed) async throws -> Feed {
        let body = try Self.json(feed)
        return try await pool.write { db in
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM feeds WHERE url = ?)"), arguments: [feed.url]) == true {
                throw StoreError.duplicateFeed(feed.url)
            }
            try db.executeCached(sql: "INSERT INTO feeds (id, url, body) VALUES (?, ?, ?)", arguments: [feed.id, feed.url, body])
            return feed
        }
    }

    public func feed(_ id: String) async throws -> Feed {
        try await pool.read { db in
            guard let body = try String.fetchOne(db.cachedStatement(sql: "SELECT body FROM feeds WHERE id = ?"), arguments: [id]) else {
                throw StoreError.feedNotFound(id)
            }
            return try Self.decode(Feed.self, body)
        }
    }

    public func feeds() async throws -> [Feed] {
        try await pool.read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT body FROM feeds ORDER BY rowid")).map { try Self.decode(Feed.self, $0) }
        }
    }

    public func deleteFeed(_ id: String) async throws {
        try await pool.write { db in
            try db.executeCached(sql: "DELETE FROM feed_episodes WHERE feed_id = ?", arguments: [id])
            try db.executeCached(sql: "DELETE FROM feeds WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.feedNotFound(id) }
        }
    }

    public func updateFeed(_ feed: Feed) async throws {
        let body = try Self.json(feed)
        try await pool.write { db in
            try db.executeCached(sql: "UPDATE feeds SET body = ? WHERE id = ?", arguments: [body, feed.id])
            guard db.changesCount == 1 else { throw StoreError.feedNotFound(feed.id) }
        }
    }

    public func addEpisodes(_ episodes: [FeedEpisode]) async throws -> [FeedEpisode] {
        let rows = try episodes.map { ($0, try Self.json($0)) }
        return try await pool.write { db in
            var added: [FeedEpisode] = []
            for (episode, body) in rows {
                try db.executeCached(
                    sql: "INSERT OR IGNORE INTO feed_episodes (feed_id, guid, published_at, body) VALUES (?, ?, ?, ?)",
                    arguments: [episode.feedId, episode.guid, episode.publishedAt?.timeIntervalSince1970, body]
                )
                if db.changesCount == 1 { added.append(episode) }
            }
            return added
        }
    }

    public func setEpisodeOutcome(feedId: String, guid: String, state: FeedEpisode.State, jobId: JobID?, error: String?) async throws {
        try await pool.write { db in
            guard let body = try String.fetchOne(
                db.cachedStatement(sql: "SELECT body FROM feed_episodes WHERE feed_id = ? AND guid = ?"), arguments: [feedId, guid]
            ) else { return }
            var episode = try Self.decode(FeedEpisode.self, body)
            episode.state = state
            episode.jobId = jobId?.rawValue
            episode.error = error
            try db.executeCached(sql: "UPDATE feed_episodes SET body = ? WHERE feed_id = ? AND guid = ?", arguments: [try Self.json(episode), feedId, guid])
        }
    }

    public func episodes(ofFeed id: String) async throws -> [FeedEpisode] {
        try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT body FROM feed_episodes WHERE feed_id = ? ORDER BY published_at DESC, rowid DESC"), arguments: [id]
            ).map { try Self.decode(FeedEpisode.self, $0) }
        }
    }

    public func importTranscript(_ newJob: NewJob, transcript: Transcript, now: Date) async throws -> Job {
        let created = try await createJob(newJob, now: now)
        return try await pool.write { db in
            var stored = transcript
            stored.jobID = created.id
            try SQLiteTranscripts.insert(db, stored)
            let seconds = now.timeIntervalSince1970
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'succeeded', progress = 1, started_at = ?, finished_at = ?, updated_at = ?,
                    media_duration = COALESCE(media_duration, ?) WHERE id = ?
                """, arguments: [seconds, seconds, seconds, transcript.durationSeconds, created.id.rawValue])
            let job = try JobRow.require(db, id: created.id)
            let succeeded = try SQLiteEvents.appendJob(db, .jobSucceeded, job, source: "import", now: now)
            try SQLiteEvents.append(db, NewEvent(
                type: .transcriptCreated, correlationId: job.id.rawValue, causationId: succeeded.id, source: "import",
                data: .transcript(TranscriptEventData(
                    jobId: job.id, language: transcript.language, durationSeconds: transcript.durationSeconds, segmentCount: transcript.segments.count
                ))
            ), now: now)
            return job
        }
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try EarshotJSON.encoder().encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ body: String) throws -> T {
        try EarshotJSON.decoder().decode(T.self, from: Data(body.utf8))
    }
}
