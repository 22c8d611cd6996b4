import Foundation
import Testing

@testable import EarshotServer

@Suite("When a live utterance's partials are due")
struct UtteranceTrackerTests {
    /// 16 kHz samples: `seconds` of near-silence or of a loud tone (speech, to an energy VAD).
    static func audio(_ seconds: Double, loud: Bool) -> [Float] {
        (0..<Int(seconds * 16_000)).map { index in
            let phase = Float(index) * 2 * .pi * 220 / 16_000
            return loud ? 0.3 * sin(phase) : 0.0005 * sin(phase * 7)
        }
    }

    /// Feeds `seconds` of audio in 100 ms chunks; returns the stream time (s) of each partial.
    static func partialTimes(_ tracker: inout UtteranceTracker, from start: Double, seconds: Double, emptyAfterEach: Bool = false) -> [Double] {
        var times: [Double] = []
        for chunk in 0..<Int(seconds * 10) {
            for step in tracker.append(audio(0.1, loud: true)) {
                if case .partial = step {
                    times.append(start + Double(chunk + 1) / 10)
                    if emptyAfterEach { tracker.partialWasEmpty() }
                }
            }
        }
        return times
    }

    @Test("the first partial is due 0.4 s after speech is heard, then one a second")
    func firstPartialEarlyThenEverySecond() {
        var tracker = UtteranceTracker()
        _ = tracker.append(Self.audio(1, loud: false))
        let times = Self.partialTimes(&tracker, from: 1, seconds: 3.05)
        #expect(times.count == 3, "\(times)")
        #expect(times.first.map { $0 > 1.3 && $0 <= 1.7 } == true, "first partial at \(times)")
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(abs(later - earlier - 1) < 0.15, "\(times)")
        }
    }

    @Test("after a partial that said nothing, the next is due 0.2 s later, not a second")
    func emptyPartialRetriesSoon() {
        var tracker = UtteranceTracker()
        _ = tracker.append(Self.audio(1, loud: false))
        let times = Self.partialTimes(&tracker, from: 1, seconds: 2, emptyAfterEach: true)
        #expect(times.count >= 5, "\(times)")
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(abs(later - earlier - UtteranceTracker.emptyPartialRetrySeconds) < 0.15, "\(times)")
        }
    }

    @Test("outside an utterance, an empty partial changes nothing")
    func emptyOutsideUtterance() {
        var tracker = UtteranceTracker()
        _ = tracker.append(Self.audio(1, loud: false))
        tracker.partialWasEmpty()
        #expect(!tracker.isInUtterance)
        let times = Self.partialTimes(&tracker, from: 1, seconds: 1.05)
        #expect(times.count == 1 && times[0] > 1.3, "\(times)")
    }
}
