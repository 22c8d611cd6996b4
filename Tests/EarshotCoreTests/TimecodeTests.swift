import EarshotCore
import Testing

@Suite struct TimecodeTests {
    @Test func formatsHoursMinutesSecondsAndMillis() {
        #expect(Timecode.srt(3725.5) == "01:02:05,500")
        #expect(Timecode.vtt(3725.5) == "01:02:05.500")
        #expect(Timecode.srt(0) == "00:00:00,000")
        #expect(Timecode.vtt(1.25) == "00:00:01.250")
    }

    @Test func roundsToTheNearestMillisecondHalfUp() {
        #expect(Timecode.srt(0.0005) == "00:00:00,001")
        #expect(Timecode.srt(0.0004) == "00:00:00,000")
        #expect(Timecode.srt(1.2346) == "00:00:01,235")
    }

    @Test func roundingCarriesIntoSecondsMinutesAndHours() {
        #expect(Timecode.srt(59.9996) == "00:01:00,000")
        #expect(Timecode.vtt(59.9996) == "00:01:00.000")
        #expect(Timecode.vtt(3599.9999) == "01:00:00.000")
    }

    @Test func hoursPastNinetyNineGetMoreDigits() {
        #expect(Timecode.srt(100 * 3600 + 1) == "100:00:01,000")
        #expect(Timecode.clock(123 * 3600 + 4 * 60 + 5.9) == "123:04:05")
    }

    @Test func negativeAndNaNClampToZero() {
        #expect(Timecode.srt(-1.5) == "00:00:00,000")
        #expect(Timecode.vtt(.nan) == "00:00:00.000")
        #expect(Timecode.vtt(-.infinity) == "00:00:00.000")
        #expect(Timecode.milliseconds(.nan) == 0)
    }

    @Test func hugeValuesDoNotTrap() {
        #expect(Timecode.milliseconds(.infinity) > 0)
        #expect(Timecode.milliseconds(1e300) == Timecode.milliseconds(.infinity))
    }

    @Test func clockTruncatesToTheSecond() {
        #expect(Timecode.clock(59.7) == "00:00:59")
        #expect(Timecode.clock(3725.5) == "01:02:05")
        #expect(Timecode.clock(59.9996) == "00:01:00")
    }
}
