import EarshotCore
import Testing

@Suite("Stream URLs, credentials and reconnect backoff")
struct StreamSourceRulesTests {
    @Test("network schemes pass; others, files (unless allowed), hosts-less and odd characters are refused")
    func validation() throws {
        #expect(try StreamURL.validate("rtsp://admin:pw@10.0.0.5:554/stream1", allowFiles: false) == "rtsp")
        #expect(try StreamURL.validate("HTTPS://radio.example/live.mp3", allowFiles: false) == "https")
        #expect(try StreamURL.validate("file:///srv/test.wav", allowFiles: true) == "file")
        for bad in ["", "file:///etc/passwd", "ftp://host/a.mp3", "concat:a|b", "-i /etc/passwd", "http:///nohost", "rtsp://host/a b", "http://host/\n"] {
            #expect(throws: StreamURL.Invalid.self, "\(bad)") { _ = try StreamURL.validate(bad, allowFiles: false) }
        }
        #expect(throws: StreamURL.Invalid.self) { _ = try StreamURL.validate("file://host/relative", allowFiles: true) }
        do {
            _ = try StreamURL.validate("gopher://u:hunter22@host/", allowFiles: false)
        } catch {
            #expect(!error.message.contains("hunter22"))
        }
        #expect(StreamURL.ffmpegProtocols(for: "https").contains("hls") && !StreamURL.ffmpegProtocols(for: "https").contains("file"))
    }

    @Test("credentials are masked in URLs and redacted from text that quotes them")
    func masking() {
        #expect(URLCredentials.masked("rtsp://admin:hunter22@cam/x") == "rtsp://admin:••••••@cam/x")
        #expect(URLCredentials.masked("https://tok3n@host/feed") == "https://••••••@host/feed")
        #expect(URLCredentials.masked("https://host/a@b") == "https://host/a@b", "an @ in the path is not a credential")
        #expect(URLCredentials.masked("not a url") == "not a url")
        let line = "[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized rtsp://admin:p%40ss@cam/x (p@ss)"
        let redacted = URLCredentials.redact(line, secretsOf: "rtsp://admin:p%40ss@cam/x")
        #expect(!redacted.contains("p%40ss") && !redacted.contains("p@ss") && redacted.contains("401 Unauthorized"))
    }

    @Test("backoff runs 1, 2, 5, 10, 30, 60, 60 s while runs fail, and starts over after a healthy run")
    func backoff() {
        var backoff = ReconnectBackoff()
        let delays = (0..<7).map { _ in backoff.runEnded(audioSeconds: 3) }
        #expect(delays == [1, 2, 5, 10, 30, 60, 60])
        #expect(backoff.runEnded(audioSeconds: 45) == 1, "a run that delivered 45 s of audio was healthy")
        #expect(backoff.runEnded(audioSeconds: 0) == 2)
        backoff.reset()
        #expect(backoff.runEnded(audioSeconds: 0) == 1)
    }
}
