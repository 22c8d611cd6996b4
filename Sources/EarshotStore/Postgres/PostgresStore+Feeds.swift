import EarshotCore
import Foundation
import PostgresNIO

/// Feeds and episodes are kept as JSON documents: their fields change with the formats feeds use,
/// and nothing queries inside them but the keys.
///
/// The tables have no insertion-order column (SQLite orders ties by `rowid`), so the orders below
/// break ties by what the documents carry: feeds by creation time then id, episodes by guid.
extension PostgresStore {
    public func createFeed(_ feed: Feed) async throws -> Feed {
        let body = try Self.json(feed)
        return try await write { session in
            if try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM feeds WHERE url = ?)", [feed.url]) == true {
                throw StoreError.duplicateFeed(feed.url)
            }
            do {
                try await session.execute("INSERT INTO feeds (id, url, body) VALUES (?, ?, ?)", [feed.id, feed.url, body])
            } catch where Self.isUniqueViolation(error, on: "feeds_url_key") {
                // Another replica subscribed the URL between the check and the insert.
                throw StoreError.duplicateFeed(feed.url)
            }
            return feed
        }
    }

    public func feed(_ id: String) async throws -> Feed {
        try await read { session in
            guard let body = try await session.scalar(String.self, "SELECT body FROM feeds WHERE id = ?", [id]) else {
                throw StoreError.feedNotFound(id)
            }
            return try Self.decode(Feed.self, body)
        }
    }

    public func feeds() async throws -> [Feed] {
        try await read { session in
            try await session.rows("SELECT body FROM feeds").map { try Self.decode(Feed.self, try $0.get(0, as: String.self)) }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func deleteFeed(_ id: String) async throws {
        try await write { session in
            try await session.execute("DELETE FROM feed_episodes WHERE feed_id = ?", [id])
            guard try await session.row("DELETE FROM feeds WHERE id = ? RETURNING id", [id]) != nil else { throw StoreError.feedNotFound(id) }
        }
    }

    public func updateFeed(_ feed: Feed) async throws {
        let body = try Self.json(feed)
        try await write { session in
            guard try await session.row("UPDATE feeds SET body = ? WHERE id = ? RETURNING id", [body, feed.id]) != nil else {
                throw StoreError.feedNotFound(feed.id)
            }
        }
    }

    public func addEpisodes(_ episodes: [FeedEpisode]) async throws -> [FeedEpisode] {
        let rows = try episodes.map { ($0, try Self.json($0)) }
        return try await write { session in
            var added: [FeedEpisode] = []
            for (episode, body) in rows {
                // A guid already recorded (by an earlier poll, another replica's, or earlier in
                // this list) inserts nothing and returns no row.
                let inserted = try await session.row("""
                    INSERT INTO feed_episodes (feed_id, guid, published_at, body) VALUES (?, ?, ?, ?)
                    ON CONFLICT (feed_id, guid) DO NOTHING RETURNING guid
                    """, [episode.feedId, episode.guid, episode.publishedAt?.timeIntervalSince1970, body])
                if inserted != nil { added.append(episode) }
            }
            return added
        }
    }

    public func setEpisodeOutcome(feedId: String, guid: String, state: FeedEpisode.State, jobId: JobID?, error: String?) async throws {
        try await write { session in
            // Locked: the document is read, changed and written back; a concurrent change would be lost.
            guard let body = try await session.scalar(
                String.self, "SELECT body FROM feed_episodes WHERE feed_id = ? AND guid = ? FOR UPDATE", [feedId, guid]
            ) else { return }
            var episode = try Self.decode(FeedEpisode.self, body)
            episode.state = state
            episode.jobId = jobId?.rawValue
            episode.error = error
            try await session.execute("UPDATE feed_episodes SET body = ? WHERE feed_id = ? AND guid = ?", [try Self.json(episode), feedId, guid])
        }
    }

    public func episodes(ofFeed id: String) async throws -> [FeedEpisode] {
        try await read { session in
            // NULLS LAST: SQLite sorts NULL below every value, PostgreSQL above; undated episodes
            // come last in both.
            try await session.rows(
                "SELECT body FROM feed_episodes WHERE feed_id = ? ORDER BY published_at DESC NULLS LAST, guid DESC", [id]
            ).map { try Self.decode(FeedEpisode.self, try $0.get(0, as: String.self)) }
        }
    }

    /// Creates the job and stores its transcript in one transaction, unlike the SQLite store's
    /// two: between them the job would be queued, and another replica could claim it.
    public func importTranscript(_ newJob: NewJob, transcript: Transcript, now: Date) async throws -> Job {
        let seconds = now.timeIntervalSince1970
        return try await write { session in
            _ = try await Self.insertJob(session, newJob, now: now)
            var stored = transcript
            stored.jobID = newJob.id
            try await PostgresTranscripts.insert(session, stored)
            try await session.execute("""
                UPDATE jobs SET state = 'succeeded', progress = 1, started_at = ?, finished_at = ?, updated_at = ?,
                    media_duration = COALESCE(media_duration, ?) WHERE id = ?
                """, [seconds, seconds, seconds, transcript.durationSeconds, newJob.id.rawValue])
            let job = try await PostgresJobRow.require(session, id: newJob.id)
            let succeeded = try session.appendJob(.jobSucceeded, job, source: "import", now: now)
            try session.append(NewEvent(
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
