import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func enrolledSpeakers() async throws -> [EnrolledSpeaker] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, embedding, source, created_at FROM enrolled_speakers ORDER BY name").map(Self.enrolled(from:))
        }
    }

    public func enrollSpeaker(_ speaker: EnrolledSpeaker, fromTranscript jobId: JobID?, speakerId: String?, now: Date) async throws -> EnrolledSpeaker {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM enrolled_speakers WHERE name = ?)", arguments: [speaker.name]) == true {
                throw StoreError.duplicateSpeakerName(speaker.name)
            }
            try db.execute(sql: """
                INSERT INTO enrolled_speakers (id, name, embedding, source, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [speaker.id, speaker.name, EmbeddingColumn.data(speaker.embedding), speaker.source, speaker.createdAt.timeIntervalSince1970])
            if let jobId, let speakerId {
                try db.execute(sql: "UPDATE transcript_speakers SET enrolled_id = ? WHERE job_id = ? AND id = ?", arguments: [speaker.id, jobId.rawValue, speakerId])
                guard db.changesCount == 1 else { throw StoreError.speakerNotFound(jobId, speakerId) }
                try Self.appendSpeakersChanged(db, jobId, speaker: speakerId, text: "enrolled as \(speaker.name)", now: now)
            }
            return try Self.requireEnrolled(db, speaker.id)
        }
    }

    public func renameEnrolledSpeaker(_ id: String, name: String) async throws -> EnrolledSpeaker {
        try await pool.write { db in
            _ = try Self.requireEnrolled(db, id)
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM enrolled_speakers WHERE name = ? AND id <> ?)", arguments: [name, id]) == true {
                throw StoreError.duplicateSpeakerName(name)
            }
            try db.execute(sql: "UPDATE enrolled_speakers SET name = ? WHERE id = ?", arguments: [name, id])
            return try Self.requireEnrolled(db, id)
        }
    }

    public func deleteEnrolledSpeaker(_ id: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM enrolled_speakers WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.enrolledSpeakerNotFound(id) }
        }
    }

    public func renameTranscriptSpeaker(_ jobId: JobID, speakerId: String, name: String?, now: Date) async throws -> Transcript {
        try await pool.write { db in
            try db.execute(sql: "UPDATE transcript_speakers SET name = ? WHERE job_id = ? AND id = ?", arguments: [name, jobId.rawValue, speakerId])
            guard db.changesCount == 1 else { throw try Self.missingSpeaker(db, jobId, speakerId) }
            try Self.appendSpeakersChanged(db, jobId, speaker: speakerId, text: name.map { "named \($0)" } ?? "name removed", now: now)
            return try Self.requireTranscript(db, jobId)
        }
    }

    public func mergeTranscriptSpeakers(_ jobId: JobID, speakerId: String, intoId: String, now: Date) async throws -> Transcript {
        try await pool.write { db in
            let transcript = try Self.requireTranscript(db, jobId)
            guard let from = transcript.speaker(speakerId) else { throw StoreError.speakerNotFound(jobId, speakerId) }
            guard let into = transcript.speaker(intoId), into.id != from.id else { throw StoreError.speakerNotFound(jobId, intoId) }
            let encoder = JSONEncoder()
            for (index, segment) in transcript.segments.enumerated() {
                let moved = SpeakerMerge.relabel(segment, from: from.id, into: into.id)
                guard moved != segment else { continue }
                let words = try moved.words.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
                try db.execute(sql: "UPDATE segments SET speaker = ?, words = ? WHERE job_id = ? AND idx = ?", arguments: [moved.speaker, words, jobId.rawValue, index])
            }
            let embedding = SpeakerMerge.embedding(of: from, into: into)
            try db.execute(sql: "UPDATE transcript_speakers SET speech_seconds = ?, embedding = ? WHERE job_id = ? AND id = ?", arguments: [
                from.speechSeconds + into.speechSeconds, embedding.map(EmbeddingColumn.data), jobId.rawValue, into.id,
            ])
            try db.execute(sql: "DELETE FROM transcript_speakers WHERE job_id = ? AND id = ?", arguments: [jobId.rawValue, from.id])
            try Self.appendSpeakersChanged(db, jobId, speaker: from.id, text: "merged into \(into.id)", now: now)
            return try Self.requireTranscript(db, jobId)
        }
    }

    private static func requireTranscript(_ db: Database, _ jobId: JobID) throws -> Transcript {
        guard let transcript = try SQLiteTranscripts.fetch(db, jobID: jobId) else {
            _ = try JobRow.require(db, id: jobId)
            throw StoreError.transcriptNotFound(jobId)
        }
        return transcript
    }

    /// The most precise of: no such job, no transcript, no such speaker.
    private static func missingSpeaker(_ db: Database, _ jobId: JobID, _ speakerId: String) throws -> StoreError {
        _ = try requireTranscript(db, jobId)
        return StoreError.speakerNotFound(jobId, speakerId)
    }

    private static func appendSpeakersChanged(_ db: Database, _ jobId: JobID, speaker: String, text: String, now: Date) throws {
        let row = try Row.fetchOne(db, sql: """
            SELECT language, duration, (SELECT COUNT(*) FROM segments WHERE job_id = ?) FROM transcripts WHERE job_id = ?
            """, arguments: [jobId.rawValue, jobId.rawValue])
        try SQLiteEvents.append(db, NewEvent(
            type: .transcriptSpeakersChanged, correlationId: jobId.rawValue, source: "server",
            data: .transcript(TranscriptEventData(
                jobId: jobId, language: row?[0] ?? "", durationSeconds: row?[1] ?? 0, segmentCount: row?[2] ?? 0, text: text, speaker: speaker
            ))
        ), now: now)
    }

    private static func requireEnrolled(_ db: Database, _ id: String) throws -> EnrolledSpeaker {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, name, embedding, source, created_at FROM enrolled_speakers WHERE id = ?", arguments: [id]) else {
            throw StoreError.enrolledSpeakerNotFound(id)
        }
        return enrolled(from: row)
    }

    private static func enrolled(from row: Row) -> EnrolledSpeaker {
        EnrolledSpeaker(id: row[0], name: row[1], embedding: EmbeddingColumn.floats(row[2]), source: row[3], createdAt: JobRow.date(row[4]))
    }
}
