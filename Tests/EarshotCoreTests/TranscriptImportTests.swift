import EarshotCore
import Testing

@Suite("Importing linked transcripts")
struct TranscriptImportTests {
    @Test("SubRip, WebVTT (with styling and settings) and Podcasting 2.0 JSON become segments")
    func formats() throws {
        let srt = "1\r\n00:00:00,500 --> 00:00:02,000\r\nHello there.\r\n\r\n2\r\n00:00:02,500 --> 00:01:03,250\r\nTwo lines\r\nof text.\r\n"
        #expect(try TranscriptImport.segments(srt, format: .srt) == [
            Segment(start: 0.5, end: 2, text: "Hello there."), Segment(start: 2.5, end: 63.25, text: "Two lines of text."),
        ])
        let vtt = "WEBVTT\n\nNOTE a comment\n\ncue-1\n00:01.000 --> 00:02.500 align:start\n<v Jane>Welcome &amp; <i>hello</i>\n\n01:00:00.000 --> 01:00:01.000\nLate\n"
        #expect(try TranscriptImport.segments(vtt, format: .vtt) == [
            Segment(start: 1, end: 2.5, text: "Welcome & hello"), Segment(start: 3600, end: 3601, text: "Late"),
        ])
        let json = #"{"version":"1.0.0","segments":[{"speaker":"Jane","startTime":0.2,"endTime":1.5,"body":"Hi "},{"startTime":1.5,"endTime":1.0,"body":""}]}"#
        #expect(try TranscriptImport.segments(json, format: .json) == [Segment(start: 0.2, end: 1.5, text: "Hi")])
        #expect(TranscriptImport.Format(mimeType: "application/x-subrip") == .srt && TranscriptImport.Format(mimeType: "text/vtt; charset=utf-8") == .vtt)
        #expect(TranscriptImport.Format(mimeType: "text/html") == nil)
    }

    @Test("broken files are refused with the reason")
    func malformed() {
        #expect(throws: TranscriptImport.Malformed.self) { _ = try TranscriptImport.segments("1\nsoon --> later\nx\n", format: .srt) }
        #expect(throws: TranscriptImport.Malformed.self) { _ = try TranscriptImport.segments("00:01.000 --> 00:02.000\nno header\n", format: .vtt) }
        #expect(throws: TranscriptImport.Malformed.self) { _ = try TranscriptImport.segments("WEBVTT\n\n", format: .vtt) }
        #expect(throws: TranscriptImport.Malformed.self) { _ = try TranscriptImport.segments("<html>", format: .json) }
    }

    /// Found by the transcript-import fuzzer: `Double("01.e500")` is infinity, and a segment ending at
    /// infinity broke the SRT export's invariants.
    @Test("times are digits: exponents, infinities, NaN and hexadecimal are refused, not read as numbers")
    func timesAreDigits() throws {
        for stamp in ["00:00:01,e500", "00:00:1e3", "00:00:nan", "00:00:inf", "00:00:0x1p3", "00:00:.5", "00:00:5.", "00:-1:00", "00:00:1.2.3", "٠٠:٠٠:٠١"] {
            #expect(TranscriptImport.seconds(stamp) == nil, "\(stamp)")
        }
        #expect(TranscriptImport.seconds("01:02:03,250") == 3723.25)
        #expect(TranscriptImport.seconds("02:03.5") == 123.5)
        #expect(throws: TranscriptImport.Malformed.self) {
            _ = try TranscriptImport.segments("t\n00:000 --> 00:00:01,e500\nHe0\u{0}ere\n2\n0:00:00\u{0B}", format: .srt)
        }
    }
}
