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
            let words = try segment.words.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            try db.executeCached(sql: """
                INSERT INTO segments (job_id, idx, start, "end", text, avg_logprob, no_speech_prob, words)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, index, segment.start, segment.end, segment.text, segment.avgLogprob, segment.noSpeechProb, words])
        }
    }

    static func fetch(_ db: Database, jobID: JobID) throws -> Transcript? {
        guard let row = try db.fetchOneCached(sql: "SELECT * FROM transcripts WHERE job_id = ?", arguments: [jobID.rawValue]) else {
            return nil
        }
        let decoder = JSONDecoder()
        let segments = try db.fetchAllCached(sql: "SELECT * FROM segments WHERE job_id = ? ORDER BY idx", arguments: [jobID.rawValue]).map { row in
            let words: String? = row["words"]
            return Segment(
                start: row["start"], end: row["end"], text: row["text"], avgLogprob: row["avg_logprob"],
                noSpeechProb: row["no_speech_prob"],
                words: try words.map { try decoder.decode([Word].self, from: Data($0.utf8)) }
            )
        }
        return Transcript(
            jobID: jobID, title: row["title"], source: row["source"], language: row["language"], model: row["model"],
            durationSeconds: row["duration"], processingSeconds: row["processing"],
            createdAt: JobRow.date(row["created_at"]), segments: segments
        )
    }
}
