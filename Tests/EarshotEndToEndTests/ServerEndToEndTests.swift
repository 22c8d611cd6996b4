import EarshotCore
import EarshotStore
import Foundation
import Testing

/// The server as a user runs it: a real `earshot serve` process, real HTTP on loopback, real
/// ffmpeg, the real Whisper tiny.en model, real SQLite on disk.
@Suite("Server end to end", .serialized)
struct ServerEndToEndTests {
    @Test("LibriVox clips are transcribed with WER ≤ 10 % and exported in every format")
    func librivoxAccuracy() async throws {
        let server = try await ServerProcess(dataDirectory: try TestEnvironment.temporaryDirectory("wer"))
        let clips = try TestEnvironment.librivoxClips()
        #expect(clips.count == 5)
        var ids: [String] = []
        for clip in clips { ids.append(try await server.submit(clip.url)) }

        var errors = 0
        var words = 0
        for (id, clip) in zip(ids, clips) {
            let job = try await server.waitForJob(id)
            #expect(job["state"] as? String == "succeeded", "job \(id): \(job)")
            let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt")
            #expect(text.status == 200)
            let result = WordErrorRate.errors(reference: clip.reference, hypothesis: text.text)
            errors += result.errors
            words += result.words
        }
        let wer = Double(errors) / Double(words)
        #expect(wer <= 0.10, "WER \(wer) over \(words) words")

        let srt = try await server.request("GET", "/api/v1/jobs/\(ids[0])/transcript?format=srt")
        #expect(srt.status == 200)
        #expect(srt.headers["content-type"]?.hasPrefix("application/x-subrip") == true)
        #expect(srt.text.hasPrefix("1\n00:00:00,000 --> 00:00:0"))
        let vtt = try await server.request("GET", "/api/v1/jobs/\(ids[0])/transcript?format=vtt")
        #expect(vtt.text.hasPrefix("WEBVTT\n\n"))
        let markdown = try await server.request("GET", "/api/v1/jobs/\(ids[0])/transcript?format=md")
        #expect(markdown.text.hasPrefix("---\ntitle: \"sense_and_sensibility_01_austen_64kb-0870.wav\"\n"))
        #expect(markdown.text.contains("model: \"tiny.en\""))
        let json = try await server.request("GET", "/api/v1/jobs/\(ids[0])/transcript?format=json").json()
        #expect(json["language"] as? String == "en")
        #expect((json["segments"] as? [[String: Any]])?.isEmpty == false)
        #expect((json["duration_seconds"] as? Double).map { abs($0 - 7.1) < 0.1 } == true)

        let metrics = try await server.request("GET", "/metrics").text
        #expect(metrics.contains("earshot_jobs{state=\"succeeded\"} 5"))
        #expect(metrics.contains("earshot_audio_seconds_processed_total"))
        #expect(metrics.contains("earshot_engine_restarts_total"))
        #expect(metrics.contains("earshot_job_duration_seconds_count"))
        let ready = try await server.request("GET", "/readyz")
        #expect(ready.status == 200)
    }

    @Test("bad input gets clear errors and loses nothing")
    func badInput() async throws {
        let directory = try TestEnvironment.temporaryDirectory("bad")
        let server = try await ServerProcess(dataDirectory: directory)

        let notAudio = directory.appendingPathComponent("notes.txt")
        try Data("this is not audio at all\n".utf8).write(to: notAudio)
        let notAudioJob = try await server.submit(notAudio)
        let failed = try await server.waitForJob(notAudioJob)
        #expect(failed["state"] as? String == "failed")
        let error = failed["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unsupported_media")
        #expect((error?["message"] as? String)?.contains("ffmpeg") == true)
        #expect(failed["attempts"] as? Int == 1, "unsupported media is not retried")

        let empty = directory.appendingPathComponent("empty.wav")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        let emptyUpload = try await server.upload(empty)
        #expect(emptyUpload.status == 400)
        #expect(try emptyUpload.errorCode() == "empty_upload")
        let emptyRaw = try await server.request("POST", "/api/v1/jobs?filename=x.wav", body: Data(), contentType: "audio/wav")
        #expect(emptyRaw.status == 400)
        #expect(try emptyRaw.errorCode() == "empty_upload")

        let clip = try TestEnvironment.librivoxClips()[1].url
        let unknownModel = try await server.upload(clip, fields: ["model": "huge-v9"])
        #expect(unknownModel.status == 400)
        #expect(try unknownModel.errorCode() == "unknown_model")
        let badPriority = try await server.upload(clip, fields: ["priority": "urgent"])
        #expect(try badPriority.errorCode() == "invalid_priority")
        let wrongType = try await server.request("POST", "/api/v1/jobs", body: Data("hello".utf8), contentType: "text/plain")
        #expect(wrongType.status == 415)
        #expect(try wrongType.errorCode() == "unsupported_content_type")
        // JSON asks the server to fetch a URL; without one it says so.
        let noURL = try await server.request("POST", "/api/v1/jobs", body: Data("{}".utf8), contentType: "application/json")
        #expect(noURL.status == 400)
        #expect(try noURL.errorCode() == "missing_url")

        // A raw upload with options in the query string.
        let raw = try await server.request(
            "POST", "/api/v1/jobs?filename=../../etc/clip.wav&priority=3&word_timestamps=true",
            body: try Data(contentsOf: clip), contentType: "audio/wav"
        )
        #expect(raw.status == 201)
        #expect(raw.headers["location"]?.hasPrefix("/api/v1/jobs/") == true)
        let rawJob = try raw.json()
        #expect((rawJob["media"] as? [String: Any])?["filename"] as? String == "clip.wav", "path components are stripped")
        #expect(rawJob["priority"] as? Int == 3)
        let rawID = try #require(rawJob["id"] as? String)
        let unfinished = try await server.request("GET", "/api/v1/jobs/\(rawID)/transcript")
        if unfinished.status != 200 {
            #expect(unfinished.status == 409)
            #expect(try unfinished.errorCode() == "transcript_not_ready")
        }
        let done = try await server.waitForJob(rawID)
        #expect(done["state"] as? String == "succeeded")
        let withWords = try await server.request("GET", "/api/v1/jobs/\(rawID)/transcript?format=json").json()
        let firstSegment = (withWords["segments"] as? [[String: Any]])?.first
        #expect((firstSegment?["words"] as? [[String: Any]])?.isEmpty == false, "word timestamps were requested")

        let badFormat = try await server.request("GET", "/api/v1/jobs/\(rawID)/transcript?format=docx")
        #expect(badFormat.status == 400)
        #expect(try badFormat.errorCode() == "invalid_format")
        #expect(try await server.request("GET", "/api/v1/jobs/not-a-uuid").errorCode() == "invalid_id")
        let missing = try await server.request("GET", "/api/v1/jobs/\(UUID().uuidString.lowercased())")
        #expect(missing.status == 404)
        #expect(try missing.errorCode() == "not_found")
        #expect(try await server.request("GET", "/api/v1/jobs?state=sleeping").errorCode() == "invalid_state")
        #expect(try await server.request("GET", "/api/v1/jobs?limit=0").errorCode() == "invalid_limit")
        #expect(try await server.request("GET", "/api/v1/nope").status == 404)
        let cancelDone = try await server.request("POST", "/api/v1/jobs/\(rawID)/cancel")
        #expect(cancelDone.status == 409)
        #expect(try cancelDone.errorCode() == "invalid_state")

        // Everything accepted is still there, and the server is still healthy.
        let list = try await server.request("GET", "/api/v1/jobs").json()
        #expect((list["jobs"] as? [[String: Any]])?.count == 2)
        #expect(try await server.request("GET", "/healthz").status == 200)

        // Delete removes the job and its transcript.
        #expect(try await server.request("DELETE", "/api/v1/jobs/\(rawID)").status == 204)
        #expect(try await server.request("GET", "/api/v1/jobs/\(rawID)/transcript").status == 404)
    }

    @Test("an upload over the size limit is refused with 413 and leaves no file")
    func uploadLimit() async throws {
        let directory = try TestEnvironment.temporaryDirectory("limit")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--max-upload-bytes", "100000", "--workers", "0"])
        let clip = try TestEnvironment.librivoxClips()[0].url  // 227 kB
        let multipart = try await server.upload(clip)
        #expect(multipart.status == 413)
        #expect(try multipart.errorCode() == "payload_too_large")
        let raw = try await server.request("POST", "/api/v1/jobs", body: try Data(contentsOf: clip), contentType: "audio/wav")
        #expect(raw.status == 413)
        let incoming = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("media/incoming").path)
        #expect(incoming.isEmpty)
        #expect(try await server.request("GET", "/readyz").status == 200, "--workers 0 needs no engine")
    }

    @Test("cancelling a running job stops the engine run", .takesTurns)
    func cancelRunning() async throws {
        let directory = try TestEnvironment.temporaryDirectory("cancel")
        let server = try await ServerProcess(dataDirectory: directory)
        let long = try await TestEnvironment.longRecording(times: 24, in: directory)  // ≈ 10 minutes
        let longID = try await server.submit(long)
        _ = try await server.waitForJob(longID, until: [.running])
        let cancelled = try await server.request("POST", "/api/v1/jobs/\(longID)/cancel")
        #expect(cancelled.status == 200)
        #expect(try cancelled.json()["state"] as? String == "cancelled")
        let cancelledAt = Date()

        // If the engine kept transcribing the 10-minute file (≈ 25 s here on an idle machine), this
        // short clip would wait for it; the bound leaves room for a loaded machine (a CI run saw 7.8 s).
        let short = try await server.submit(try TestEnvironment.librivoxClips()[1].url)
        let shortJob = try await server.waitForJob(short)
        #expect(shortJob["state"] as? String == "succeeded")
        #expect(Date().timeIntervalSince(cancelledAt) < 15, "the next job ran promptly, so the cancelled run was stopped")
        let attempts = try await server.request("GET", "/api/v1/jobs/\(longID)/attempts").json()
        #expect((attempts["attempts"] as? [[String: Any]])?.first?["outcome"] as? String == "cancelled")
        #expect(try await server.request("GET", "/api/v1/jobs/\(longID)").json()["state"] as? String == "cancelled")
    }

    @Test("killing the server mid-queue loses nothing: every job still finishes after a restart")
    func killAndRestart() async throws {
        let directory = try TestEnvironment.temporaryDirectory("restart")
        let clips = try TestEnvironment.librivoxClips()
        let long = try await TestEnvironment.longRecording(times: 4, in: directory)
        var ids: [String] = []
        do {
            let server = try await ServerProcess(dataDirectory: directory)
            ids.append(try await server.submit(long))
            for clip in clips { ids.append(try await server.submit(clip.url)) }
            _ = try await server.waitForJob(ids[0], until: [.running])
            // Kill it with uploads in flight: whichever were committed must have their event, and no other.
            let clip = clips[0].url
            async let burst: [String?] = withTaskGroup(of: String?.self) { group in
                for _ in 0..<6 { group.addTask { try? await server.submit(clip) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            await server.kill()
            _ = await burst
        }
        let restarted = try await ServerProcess(dataDirectory: directory)
        for id in ids {
            let job = try await restarted.waitForJob(id)
            #expect(job["state"] as? String == "succeeded", "\(id): \(job)")
        }
        let first = try await restarted.request("GET", "/api/v1/jobs/\(ids[0])/attempts").json()
        let outcomes = (first["attempts"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String }
        #expect(outcomes == ["expired", "succeeded"], "the killed attempt is recorded and the job re-run")

        // The event log agrees with the state: each job has its job.created, each job.created its
        // job, and each job's last state event says what the job is now.
        let log = try await EventsEndToEndTests.wholeLog(restarted)
        let listed = try await restarted.request("GET", "/api/v1/jobs?limit=200").json()["jobs"] as? [[String: Any]] ?? []
        let jobStates = Dictionary(uniqueKeysWithValues: listed.compactMap { job in
            (job["id"] as? String).map { ($0, job["state"] as? String ?? "") }
        })
        #expect(Set(log.filter { $0.type == .jobCreated }.compactMap(\.correlationId)) == Set(jobStates.keys))
        for (id, state) in jobStates {
            let lastState = log.last { event in
                guard event.correlationId == id, case .job = event.data, event.type != .jobProgress else { return false }
                return true
            }
            if case .job(let data)? = lastState?.data { #expect(data.state.rawValue == state, "\(id)") }
        }
        let retried = log.first { $0.correlationId == ids[0] && $0.type == .jobRetried }
        if case .job(let data)? = retried?.data { #expect(data.reason == "lease_expired") } else { Issue.record("no job.retried for the killed attempt") }
    }

    @Test("SIGTERM releases the running job's lease; the next start finishes it")
    func gracefulShutdown() async throws {
        let directory = try TestEnvironment.temporaryDirectory("sigterm")
        let long = try await TestEnvironment.longRecording(times: 6, in: directory)
        let id: String
        do {
            let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--shutdown-grace-seconds", "0.2"])
            id = try await server.submit(long)
            _ = try await server.waitForJob(id, until: [.running])
            #expect(await server.terminate() == 0)
        }
        let store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
        let job = try await store.job(try #require(JobID(validating: id)))
        #expect(job.state == .queued)
        #expect(job.attemptsUsed == 0, "a released attempt does not count")
        #expect(try await store.attempts(of: job.id).map(\.outcome) == [.released])

        let restarted = try await ServerProcess(dataDirectory: directory)
        let finished = try await restarted.waitForJob(id)
        #expect(finished["state"] as? String == "succeeded")
    }

    @Test("a crashed engine is restarted and the interrupted job retried to success")
    func engineCrash() async throws {
        let directory = try TestEnvironment.temporaryDirectory("crash")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--retry-base-seconds", "0.2"])
        let long = try await TestEnvironment.longRecording(times: 4, in: directory)
        let id = try await server.submit(long)
        _ = try await server.waitForJob(id, until: [.running])
        let engines = server.engineProcessIDs()
        #expect(engines.count == 1, "one engine process per worker slot")
        for pid in engines { kill(pid, SIGKILL) }

        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded", "\(job)")
        // Killed mid-run the attempt fails with a retryable engine error; killed while ffmpeg was still
        // decoding, the same attempt waits for the restarted engine. Either way nothing else fails.
        let attempts = try await server.request("GET", "/api/v1/jobs/\(id)/attempts").json()["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.last?["outcome"] as? String == "succeeded")
        for failed in attempts.dropLast() {
            #expect((failed["error"] as? [String: Any])?["code"] as? String == "engine_error", "\(failed)")
        }
        let metrics = try await server.request("GET", "/metrics").text
        #expect(metrics.contains("earshot_engine_restarts_total{engine=\"faster-whisper\"} 1"))
        let replacements = server.engineProcessIDs()
        #expect(replacements.count == 1 && !replacements.contains(where: engines.contains), "a new engine replaced the killed one")
    }

    @Test("Whisper base detects the language and transcribes accurately")
    func baseModel() async throws {
        let directory = try TestEnvironment.temporaryDirectory("base")
        let server = try await ServerProcess(dataDirectory: directory)
        let clip = try TestEnvironment.librivoxClips()[0]
        let id = try await server.submit(clip.url, fields: ["model": "base"])
        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded", "\(job)")
        #expect(job["model"] as? String == "base")
        let transcript = try await server.request("GET", "/api/v1/jobs/\(id)/transcript").json()
        #expect(transcript["language"] as? String == "en", "detected, not given")
        let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
        let result = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
        #expect(Double(result.errors) / Double(result.words) <= 0.10, "\(text)")
        let assembled = directory.appendingPathComponent("models/base/model.bin")
        let size = try FileManager.default.attributesOfItem(atPath: assembled.path)[.size] as? Int
        #expect(size == 145_217_532)
    }
}
