import EarshotCore
import Foundation
import PostgresNIO

/// Transcript persistence: one row per transcript, one row per segment (the unit search indexes).
enum PostgresTranscripts {
    static func insert(_ session: PostgresSession, _ transcript: Transcript) async throws {
        let id = transcript.jobID.rawValue
        try await session.execute("DELETE FROM transcripts WHERE job_id = ?", [id])
        try await session.execute("""
            INSERT INTO transcripts (job_id, title, source, language, model, duration, processing, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [id, transcript.title, transcript.source, transcript.language, transcript.model,
                  transcript.durationSeconds, transcript.processingSeconds, transcript.createdAt.timeIntervalSince1970])
        let encoder = JSONEncoder()
        // One statement for all segments: a long transcript has thousands, and a round trip each
        // would hold the transaction open for seconds.
        var segments: [[SQLArgument]] = []
        for (index, segment) in transcript.segments.enumerated() {
            segments.append([id, index] + (try columns(of: segment, encoder: encoder)) + [segment.speaker])
        }
        for chunk in stride(from: 0, to: segments.count, by: 500).map({ Array(segments[$0..<min($0 + 500, segments.count)]) }) {
            try await session.execute("""
                INSERT INTO segments (job_id, idx, start, "end", text, avg_logprob, no_speech_prob, words, speaker)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                """, chunk.flatMap { $0 })
        }
        for speaker in transcript.speakers {
            try await insertSpeaker(session, jobID: transcript.jobID, speaker)
        }
        try await session.execute("DELETE FROM partial_segments WHERE job_id = ?", [id])
    }

    static func insertSpeaker(_ session: PostgresSession, jobID: JobID, _ speaker: TranscriptSpeaker) async throws {
        // An enrolled speaker deleted meanwhile is simply not recognised.
        let enrolled: String? = if let id = speaker.enrolledId {
            try await session.scalar(String.self, "SELECT id FROM enrolled_speakers WHERE id = ?", [id])
        } else {
            nil
        }
        try await session.execute("""
            INSERT INTO transcript_speakers (job_id, id, name, enrolled_id, speech_seconds, embedding) VALUES (?, ?, ?, ?, ?, ?)
            """, [jobID.rawValue, speaker.id, speaker.name, enrolled, speaker.speechSeconds, speaker.embedding.map(PostgresEmbedding.buffer)])
    }

    static func speakers(_ session: PostgresSession, jobID: JobID) async throws -> [TranscriptSpeaker] {
        try await session.rows("""
            SELECT s.id, s.name, s.enrolled_id, e.name, s.speech_seconds, s.embedding FROM transcript_speakers s
            LEFT JOIN enrolled_speakers e ON e.id = s.enrolled_id WHERE s.job_id = ? ORDER BY CAST(SUBSTRING(s.id FROM 2) AS INTEGER)
            """, [jobID.rawValue]).map { row in
            TranscriptSpeaker(
                id: try row.get(0), name: try row.get(1), enrolledId: try row.get(2), enrolledName: try row.get(3),
                speechSeconds: try row.get(4), embedding: try row.get(5, as: ByteBuffer?.self).map(PostgresEmbedding.floats)
            )
        }
    }

    /// Records an attempt's newly recognized segments, replacing any rows at the same positions.
    static func upsertPartial(_ session: PostgresSession, jobID: JobID, token: Int64, _ partial: PartialSegments) async throws {
        let encoder = JSONEncoder()
        for (offset, segment) in partial.segments.enumerated() {
            try await session.execute("""
                INSERT INTO partial_segments (job_id, idx, token, start, "end", text, avg_logprob, no_speech_prob, words)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id, idx) DO UPDATE SET token = excluded.token, start = excluded.start, "end" = excluded."end",
                    text = excluded.text, avg_logprob = excluded.avg_logprob, no_speech_prob = excluded.no_speech_prob,
                    words = excluded.words
                """, [jobID.rawValue, partial.firstIndex + offset, token] + (try columns(of: segment, encoder: encoder)))
        }
    }

    /// The current attempt's partial segments, in order.
    static func fetchPartial(_ session: PostgresSession, jobID: JobID) async throws -> [Segment] {
        try await session.rows("""
            SELECT start, "end", text, avg_logprob, no_speech_prob, words, NULL::text, NULL::text FROM partial_segments
            WHERE job_id = ? AND token = (SELECT lease_token FROM jobs WHERE id = ?) ORDER BY idx
            """, [jobID.rawValue, jobID.rawValue]).map(segment(from:))
    }

    /// start, end, text, avg_logprob, no_speech_prob, words: the columns both segment tables share.
    private static func columns(of segment: Segment, encoder: JSONEncoder) throws -> [SQLArgument] {
        let words = try segment.words.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return [segment.start, segment.end, segment.text, segment.avgLogprob, segment.noSpeechProb, words]
    }

    /// A row of start, end, text, avg_logprob, no_speech_prob, words, original_text.
    private static func segment(from row: PostgresRandomAccessRow) throws -> Segment {
        let words = try row.get(5, as: String?.self)
        return Segment(
            start: try row.get(0), end: try row.get(1), text: try row.get(2), avgLogprob: try row.get(3),
            noSpeechProb: try row.get(4),
            words: try words.map { try JSONDecoder().decode([Word].self, from: Data($0.utf8)) },
            originalText: try row.get(6), speaker: try row.get(7)
        )
    }

    static func fetch(_ session: PostgresSession, jobID: JobID) async throws -> Transcript? {
        guard let row = try await session.row("""
            SELECT title, source, language, model, duration, processing, created_at FROM transcripts WHERE job_id = ?
            """, [jobID.rawValue]) else {
            return nil
        }
        let segments = try await session.rows("""
            SELECT start, "end", text, avg_logprob, no_speech_prob, words, original_text, speaker FROM segments WHERE job_id = ? ORDER BY idx
            """, [jobID.rawValue]).map(segment(from:))
        return Transcript(
            jobID: jobID, title: try row.get(0), source: try row.get(1), language: try row.get(2), model: try row.get(3),
            durationSeconds: try row.get(4), processingSeconds: try row.get(5),
            createdAt: JobRow.date(try row.get(6)), segments: segments, speakers: try await speakers(session, jobID: jobID)
        )
    }
}
