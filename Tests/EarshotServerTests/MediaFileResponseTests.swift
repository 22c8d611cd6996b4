import EarshotCore
@testable import EarshotServer
import Testing

@Suite("Media file responses")
struct MediaFileResponseTests {
    @Test("only plain audio and video types are served as such; anything else is bytes")
    func servedTypes() {
        #expect(MediaFileResponse.servedType(uploaded: "audio/wav") == "audio/wav")
        #expect(MediaFileResponse.servedType(uploaded: "Video/MP4") == "video/mp4")
        #expect(MediaFileResponse.servedType(uploaded: "audio/x-m4a") == "audio/x-m4a")
        for hostile in ["text/html", "audio/wav; charset=utf-8", "audio/", "audio/wav/x", "image/svg+xml", "audio/<script>", nil, ""] {
            #expect(MediaFileResponse.servedType(uploaded: hostile) == "application/octet-stream", "\(hostile ?? "nil")")
        }
    }

    @Test("ranges: from, between, suffix, clamped; malformed or outside the file refused")
    func ranges() {
        #expect(ByteRange.parse("bytes=10-", size: 100) == 10...99)
        #expect(ByteRange.parse("bytes=10-19", size: 100) == 10...19)
        #expect(ByteRange.parse("bytes=90-500", size: 100) == 90...99)
        #expect(ByteRange.parse("bytes=-30", size: 100) == 70...99)
        #expect(ByteRange.parse("bytes=-300", size: 100) == 0...99)
        for bad in ["bytes=100-", "bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=-0", "bytes=x-"] {
            #expect(ByteRange.parse(bad, size: 100) == nil, "\(bad)")
        }
    }
}
