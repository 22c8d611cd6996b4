import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func enrolledSpeakers() async throws -> [EnrolledSpeaker] {
        try await read { session in
            try await session.rows("SELECT id, name, embedding, source, created_at FROM enrolled_speakers ORDER BY name").map(Self.enrolled(from:))
        }
    }

    public func enrollSpeaker(_ speaker: EnrolledSpeaker, fromTranscript jobId: JobID?, speakerId: String?, now: Date) async throws -> EnrolledSpeaker {
        try await write { session in
            if try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM enrolled_speakers WHERE name = ?)", [speaker.name]) == true {
                throw StoreError.duplicateSpeakerName(speaker.name)
            }
            do {
                try await session.execute("""
                    INSERT INTO enrolled_speakers (id, name, embedding, source, created_at) VALUES (?, ?, ?, ?, ?)
                    """, [speaker.id, speaker.name, PostgresEmbedding.buffer(speaker.embedding), speaker.source, speaker.createdAt.timeIntervalSince1970])
            } catch where Self.isUniqueViolation(error, on: "enrolled_speakers_name_key") {
                throw StoreError.duplicateSpeakerName(speaker.name)
            }
            if let jobId, let speakerId {
                let linked = try await session.rows(
                    "UPDATE transcript_speakers SET enrolled_id = ? WHERE job_id = ? AND id = ? RETURNING id", [speaker.id, jobId.rawValue, speakerId]
                )
                guard linked.count == 1 else { throw StoreError.speakerNotFound(jobId, speakerId) }
                try await Self.appendSpeakersChanged(session, jobId, speaker: speakerId, text: "enrolled as \(speaker.name)", now: now)
            }
            return try await Self.requireEnrolled(session, speaker.id)
        }
    }

    public func renameEnrolledSpeaker(_ id: String, name: String) async throws -> EnrolledSpeaker {
        try await write { session in
            _ = try await Self.requireEnrolled(session, id)
            if try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM enrolled_speakers WHERE name = ? AND id <> ?)", [name, id]) == true {
                throw StoreError.duplicateSpeakerName(name)
            }
            do {
                try await session.execute("UPDATE enrolled_speakers SET name = ? WHERE id = ?", [name, id])
            } catch where Self.isUniqueViolation(error, on: "enrolled_speakers_name_key") {
                throw StoreError.duplicateSpeakerName(name)
            }
            return try await Self.requireEnrolled(session, id)
        }
    }

    public func deleteEnrolledSpeaker(_ id: String) async throws {
        try await write { session in
            let deleted = try await session.rows("DELETE FROM enrolled_speakers WHERE id = ? RETURNING id", [id])
            guard deleted.count == 1 else { throw StoreError.enrolledSpeakerNotFound(id) }
        }
    }

    public func renameTranscriptSpeaker(_ jobId: JobID, speakerId: String, name: String?, now: Date) async throws -> Transcript {
        try await write { session in
            let renamed = try await session.rows(
                "UPDATE transcript_speakers SET name = ? WHERE job_id = ? AND id = ? RETURNING id", [name, jobId.rawValue, speakerId]
            )
            guard renamed.count == 1 else { throw try await Self.missingSpeaker(session, jobId, speakerId) }
            try await Self.appendSpeakersChanged(session, jobId, speaker: speakerId, text: name.map { "named \($0)" } ?? "name removed", now: now)
            return try await Self.requireTranscript(session, jobId)
        }
    }

    public func mergeTranscriptSpeakers(_ jobId: JobID, speakerId: String, intoId: String, now: Date) async throws -> Transcript {
        try await write { session in
            // The transcript's row lock: two merges of one transcript go one after the other.
            try await session.execute("SELECT job_id FROM transcripts WHERE job_id = ? FOR UPDATE", [jobId.rawValue])
            let transcript = try await Self.requireTranscript(session, jobId)
            guard let from = transcript.speaker(speakerId) else { throw StoreError.speakerNotFound(jobId, speakerId) }
            guard let into = transcript.speaker(intoId), into.id != from.id else { throw StoreError.speakerNotFound(jobId, intoId) }
            let encoder = JSONEncoder()
            for (index, segment) in transcript.segments.enumerated() {
                let moved = SpeakerMerge.relabel(segment, from: from.id, into: into.id)
                guard moved != segment else { continue }
                let words = try moved.words.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
                try await session.execute(
                    "UPDATE segments SET speaker = ?, words = ? WHERE job_id = ? AND idx = ?", [moved.speaker, words, jobId.rawValue, index]
                )
            }
            let embedding = SpeakerMerge.embedding(of: from, into: into)
            try await session.execute("UPDATE transcript_speakers SET speech_seconds = ?, embedding = ? WHERE job_id = ? AND id = ?", [
                from.speechSeconds + into.speechSeconds, embedding.map(PostgresEmbedding.buffer), jobId.rawValue, into.id,
            ])
            try await session.execute("DELETE FROM transcript_speakers WHERE job_id = ? AND id = ?", [jobId.rawValue, from.id])
            try await Self.appendSpeakersChanged(session, jobId, speaker: from.id, text: "merged into \(into.id)", now: now)
            return try await Self.requireTranscript(session, jobId)
        }
    }

    private static func requireTranscript(_ session: PostgresSession, _ jobId: JobID) async throws -> Transcript {
        guard let transcript = try await PostgresTranscripts.fetch(session, jobID: jobId) else {
            _ = try await PostgresJobRow.require(session, id: jobId)
            throw StoreError.transcriptNotFound(jobId)
        }
        return transcript
    }

    /// The most precise of: no such job, no transcript, no such speaker.
    private static func missingSpeaker(_ session: PostgresSession, _ jobId: JobID, _ speakerId: String) async throws -> StoreError {
        _ = try await requireTranscript(session, jobId)
        return StoreError.speakerNotFound(jobId, speakerId)
    }

    private static func appendSpeakersChanged(_ session: PostgresSession, _ jobId: JobID, speaker: String, text: String, now: Date) async throws {
        let row = try await session.row("""
            SELECT language, duration, (SELECT COUNT(*) FROM segments WHERE job_id = ?)::BIGINT FROM transcripts WHERE job_id = ?
            """, [jobId.rawValue, jobId.rawValue])
        try session.append(NewEvent(
            type: .transcriptSpeakersChanged, correlationId: jobId.rawValue, source: "server",
            data: .transcript(TranscriptEventData(
                jobId: jobId, language: try row?.get(0, as: String.self) ?? "", durationSeconds: try row?.get(1, as: Double.self) ?? 0,
                segmentCount: Int(try row?.get(2, as: Int64.self) ?? 0), text: text, speaker: speaker
            ))
        ), now: now)
    }

    private static func requireEnrolled(_ session: PostgresSession, _ id: String) async throws -> EnrolledSpeaker {
        guard let row = try await session.row("SELECT id, name, embedding, source, created_at FROM enrolled_speakers WHERE id = ?", [id]) else {
            throw StoreError.enrolledSpeakerNotFound(id)
        }
        return try enrolled(from: row)
    }

    private static func enrolled(from row: PostgresRandomAccessRow) throws -> EnrolledSpeaker {
        EnrolledSpeaker(
            id: try row.get(0), name: try row.get(1), embedding: PostgresEmbedding.floats(try row.get(2, as: ByteBuffer.self)),
            source: try row.get(3), createdAt: JobRow.date(try row.get(4))
        )
    }
}
