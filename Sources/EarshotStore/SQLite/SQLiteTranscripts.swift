import EarshotCore
import Foundation
import GRDB

/// Transcript persistence: one row per transcript, one row per segment (the unit search will index).
enum SQLiteTranscripts {
    static func insert(_ db: Database, _ transcript: Transcript) throws {
        let id = transcript.jobID.rawValue
        try db.executeCached(sql: "DELETE FROM transcripts WHERE job_id = ?", arguments: [id])
        try db.executeCached(sql: """
            INSERT INTO transcripts (job_id, title, source, language, model, duration, processing, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, transcript.title, transcript.source, transcript.language, transcript.model,
                             transcript.durationSeconds, transcript.processingSeconds, transcript.createdAt.timeIntervalSince1970])
        let encoder = JSONEncoder()
        for (index, segment) in transcript.segments.enumerated() {
            try db.executeCached(sql: """
                INSERT INTO segments (job_id, idx, start, "end", text, avg_logprob, no_speech_prob, words, speaker)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, index] + (try columns(of: segment, encoder: encoder)) + [segment.speaker])
        }
        for speaker in transcript.speakers {
            try insertSpeaker(db, jobID: transcript.jobID, speaker)
        }
        try db.executeCached(sql: "DELETE FROM partial_segments WHERE job_id = ?", arguments: [id])
    }

    static func insertSpeaker(_ db: Database, jobID: JobID, _ speaker: TranscriptSpeaker) throws {
        // An enrolled speaker deleted meanwhile is simply not recognised.
        let enrolled = try speaker.enrolledId.flatMap {
            try String.fetchOne(db, sql: "SELECT id FROM enrolled_speakers WHERE id = ?", arguments: [$0])
        }
        try db.executeCached(sql: """
            INSERT INTO transcript_speakers (job_id, id, name, enrolled_id, speech_seconds, embedding) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [jobID.rawValue, speaker.id, speaker.name, enrolled, speaker.speechSeconds, speaker.embedding.map(EmbeddingColumn.data)])
    }

    static func speakers(_ db: Database, jobID: JobID) throws -> [TranscriptSpeaker] {
        try db.fetchAllCached(sql: """
            SELECT s.id, s.name, s.enrolled_id, e.name, s.speech_seconds, s.embedding FROM transcript_speakers s
            LEFT JOIN enrolled_speakers e ON e.id = s.enrolled_id WHERE s.job_id = ? ORDER BY CAST(SUBSTR(s.id, 2) AS INTEGER)
            """, arguments: [jobID.rawValue]).map { row in
            TranscriptSpeaker(
                id: row[0], name: row[1], enrolledId: row[2], enrolledName: row[3], speechSeconds: row[4],
                embedding: (row[5] as Data?).map(EmbeddingColumn.floats)
            )
        }
    }

    /// Records an attempt's newly recognized segments, replacing any rows at the same positions.
    static func upsertPartial(_ db: Database, jobID: JobID, token: Int64, _ partial: PartialSegments) throws {
        let encoder = JSONEncoder()
        for (offset, segment) in partial.segments.enumerated() {
            try db.executeCached(sql: """
                INSERT INTO partial_segments (job_id, idx, token, start, "end", text, avg_logprob, no_speech_prob, words)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id, idx) DO UPDATE SET token = excluded.token, start = excluded.start, "end" = excluded."end",
                    text = excluded.text, avg_logprob = excluded.avg_logprob, no_speech_prob = excluded.no_speech_prob,
                    words = excluded.words
                """, arguments: [jobID.rawValue, partial.firstIndex + offset, token] + (try columns(of: segment, encoder: encoder)))
        }
    }

    /// The current attempt's partial segments, in order.
    static func fetchPartial(_ db: Database, jobID: JobID) throws -> [Segment] {
        try db.fetchAllCached(sql: """
            SELECT start, "end", text, avg_logprob, no_speech_prob, words FROM partial_segments
            WHERE job_id = ? AND token = (SELECT lease_token FROM jobs WHERE id = ?) ORDER BY idx
            """, arguments: [jobID.rawValue, jobID.rawValue]).map(segment(from:))
    }

    /// start, end, text, avg_logprob, no_speech_prob, words: the columns both segment tables share.
    private static func columns(of segment: Segment, encoder: JSONEncoder) throws -> StatementArguments {
        let words = try segment.words.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return [segment.start, segment.end, segment.text, segment.avgLogprob, segment.noSpeechProb, words]
    }

    private static func segment(from row: Row) throws -> Segment {
        let words: String? = row["words"]
        return Segment(
            start: row["start"], end: row["end"], text: row["text"], avgLogprob: row["avg_logprob"],
            noSpeechProb: row["no_speech_prob"],
            words: try words.map { try JSONDecoder().decode([Word].self, from: Data($0.utf8)) },
            originalText: row.hasColumn("original_text") ? row["original_text"] : nil,
            speaker: row.hasColumn("speaker") ? row["speaker"] : nil
        )
    }

    static func fetch(_ db: Database, jobID: JobID) throws -> Transcript? {
        guard let row = try db.fetchOneCached(sql: "SELECT * FROM transcripts WHERE job_id = ?", arguments: [jobID.rawValue]) else {
            return nil
        }
        let segments = try db.fetchAllCached(sql: "SELECT * FROM segments WHERE job_id = ? ORDER BY idx", arguments: [jobID.rawValue])
            .map(segment(from:))
        return Transcript(
            jobID: jobID, title: row["title"], source: row["source"], language: row["language"], model: row["model"],
            durationSeconds: row["duration"], processingSeconds: row["processing"],
            createdAt: JobRow.date(row["created_at"]), segments: segments, speakers: try speakers(db, jobID: jobID)
        )
    }
}
