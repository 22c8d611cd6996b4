import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Logging
import NIOHTTP1

/// Polls subscribed feeds when they are due: a conditional GET (ETag / Last-Modified, so an
/// unchanged feed costs a 304), new episodes recorded, and each new one either imported (the
/// publisher links a transcript Earshot reads) or downloaded and queued (auto-queue on). On the
/// first poll only the newest `backlog` episodes are taken. A failed poll is retried later and
/// later (1 min … 6 h); one feed's trouble never stops the others.
struct FeedPoller: Sendable {
    let store: any Store
    let intake: JobIntake
    let downloader: MediaDownloader
    let logger: Logger

    typealias Outcome = FeedPollSummary

    /// Polls every feed that is due; returns when all are done.
    func pollDue(now: Date = Date()) async {
        let due = (try? await store.feeds().filter { $0.nextPollAt <= now }) ?? []
        for feed in due {
            do {
                _ = try await poll(feed)
            } catch {
                logger.warning("feed poll failed", metadata: ["feed": "\(feed.url)", "error": "\(error)"])
            }
        }
    }

    /// Polls one feed now; the feed's record says how it went, whatever happens.
    func poll(_ subscribed: Feed) async throws -> Outcome {
        var feed = subscribed
        let now = Date()
        feed.lastPolledAt = now
        do {
            var headers: [(String, String)] = []
            if let etag = feed.etag { headers.append(("If-None-Match", etag)) }
            if let modified = feed.lastModified { headers.append(("If-Modified-Since", modified)) }
            let answer = try await downloader.document(feed.url, headers: headers, limit: FeedParser.maxBytes)
            var outcome = Outcome(unchanged: answer.status == 304, newEpisodes: 0, queued: 0, imported: 0, failed: 0)
            if !outcome.unchanged {
                let parsed = try FeedParser.parse(answer.body)
                feed.title = parsed.title.isEmpty ? feed.title : parsed.title
                feed.etag = answer.headers.first(name: "etag")
                feed.lastModified = answer.headers.first(name: "last-modified")
                outcome = try await take(parsed, for: feed, firstPoll: subscribed.lastPolledAt == nil, now: now)
            }
            feed.failures = 0
            feed.lastError = nil
            feed.nextPollAt = now.addingTimeInterval(feed.pollIntervalSeconds)
            try await store.updateFeed(feed)
            return outcome
        } catch {
            feed.failures += 1
            feed.lastError = Self.describe(error)
            feed.nextPollAt = now.addingTimeInterval(Feed.retryDelay(afterFailures: feed.failures))
            try? await store.updateFeed(feed)
            throw error
        }
    }

    private func take(_ parsed: ParsedFeed, for feed: Feed, firstPoll: Bool, now: Date) async throws -> Outcome {
        let records = parsed.episodes.map { episode in
            let transcript = episode.transcripts.first { TranscriptImport.Format(mimeType: $0.type) != nil }
            return FeedEpisode(
                feedId: feed.id, guid: episode.guid, title: episode.title, publishedAt: episode.published, durationSeconds: episode.durationSeconds,
                enclosureURL: episode.enclosure?.url, enclosureType: episode.enclosure?.type, notes: episode.notes,
                transcriptURL: transcript?.url, transcriptType: transcript?.type, createdAt: now, enclosureLength: episode.enclosure?.length
            )
        }
        let added = try await store.addEpisodes(records)
        // Newest first; on the first poll only the backlog's worth is taken.
        let ordered = added.sorted { ($0.publishedAt ?? .distantPast) > ($1.publishedAt ?? .distantPast) }
        let taken = firstPoll ? Array(ordered.prefix(feed.backlog)) : ordered
        var outcome = Outcome(unchanged: false, newEpisodes: added.count, queued: 0, imported: 0, failed: 0)
        for episode in taken {
            do {
                if let url = episode.transcriptURL, let type = episode.transcriptType, let format = TranscriptImport.Format(mimeType: type) {
                    let job = try await importTranscript(episode, from: url, format: format, feed: feed)
                    try await store.setEpisodeOutcome(feedId: feed.id, guid: episode.guid, state: .imported, jobId: job.id, error: nil)
                    outcome.imported += 1
                } else if feed.autoQueue, let url = episode.enclosureURL {
                    let job = try await intake.create(
                        fetching: url, filename: Self.filename(episode), model: feed.model, diarize: feed.diarize == true,
                        metadata: Self.metadata(episode, of: feed), logger: logger
                    )
                    try await store.setEpisodeOutcome(feedId: feed.id, guid: episode.guid, state: .queued, jobId: job.id, error: nil)
                    outcome.queued += 1
                }
            } catch {
                outcome.failed += 1
                try? await store.setEpisodeOutcome(feedId: feed.id, guid: episode.guid, state: .failed, jobId: nil, error: Self.describe(error))
                logger.warning("feed episode failed", metadata: ["feed": "\(feed.url)", "episode": "\(episode.title)", "error": "\(error)"])
            }
        }
        return outcome
    }

    private func importTranscript(_ episode: FeedEpisode, from url: String, format: TranscriptImport.Format, feed: Feed) async throws -> Job {
        let document = try await downloader.document(url, limit: 20 << 20)
        let segments = try TranscriptImport.segments(String(decoding: document.body, as: UTF8.self), format: format)
        let duration = episode.durationSeconds ?? segments.last?.end ?? 0
        let job = NewJob(
            options: TranscriptionOptions(model: "publisher"),
            media: MediaInfo(sha256: "", filename: Self.filename(episode), contentType: episode.enclosureType, sizeBytes: 0, durationSeconds: duration),
            maxAttempts: 1, metadata: Self.metadata(episode, of: feed)
        )
        let transcript = Transcript(
            jobID: job.id, title: episode.title, source: episode.enclosureURL ?? url, language: "", model: "publisher", durationSeconds: duration,
            processingSeconds: 0, createdAt: Date(), segments: segments
        )
        return try await store.importTranscript(job, transcript: transcript, now: Date())
    }

    /// The podcast and episode, for the transcript's front matter.
    static func metadata(_ episode: FeedEpisode, of feed: Feed) -> [String: String] {
        var metadata = ["podcast": feed.title, "podcast_url": feed.url, "episode": episode.title, "episode_guid": episode.guid]
        metadata["episode_url"] = episode.enclosureURL
        metadata["published"] = episode.publishedAt.map(ISO8601Timestamp.format)
        return metadata
    }

    static func filename(_ episode: FeedEpisode) -> String {
        let title = episode.title.isEmpty ? episode.guid : episode.title
        let ext = episode.enclosureURL.flatMap { URL(string: $0)?.pathExtension }.flatMap { $0.isEmpty ? nil : $0 } ?? "mp3"
        return UploadParameters.sanitizedFilename("\(title).\(ext)")
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.message
        case let error as FeedError: error.description
        case let error as TranscriptImport.Malformed: "the linked transcript: \(error.description)"
        default: "\(error)"
        }
    }
}
