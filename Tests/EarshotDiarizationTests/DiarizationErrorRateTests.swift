import EarshotDiarizationEvaluation
import Testing

struct DiarizationErrorRateTests {
    let reference = [
        LabelledSegment(start: 0, end: 4, label: "a"),
        LabelledSegment(start: 5, end: 9, label: "b"),
        LabelledSegment(start: 10, end: 12, label: "a"),
    ]

    @Test func relabelledPerfectHypothesisScoresZero() {
        let hypothesis = reference.map { LabelledSegment(start: $0.start, end: $0.end, label: $0.label == "a" ? "x" : "y") }
        let der = DiarizationErrorRate(reference: reference, hypothesis: hypothesis, collar: 0)
        #expect(der.rate == 0)
        #expect(der.mapping == ["x": "a", "y": "b"])
    }

    @Test func componentsWithoutCollar() {
        let hypothesis = [
            LabelledSegment(start: 0, end: 4, label: "x"),
            LabelledSegment(start: 5, end: 9, label: "x"),  // 4 s confused
            LabelledSegment(start: 12, end: 13, label: "y"),  // 1 s false alarm, 2 s missed
        ]
        let der = DiarizationErrorRate(reference: reference, hypothesis: hypothesis, collar: 0)
        #expect(abs(der.total - 10) < 1e-9)
        #expect(abs(der.confusion - 4) < 1e-9)
        #expect(abs(der.missed - 2) < 1e-9)
        #expect(abs(der.falseAlarm - 1) < 1e-9)
        #expect(abs(der.rate - 0.7) < 1e-9)
    }

    @Test func collarIgnoresBoundaries() {
        let hypothesis = [
            LabelledSegment(start: 0.2, end: 4.2, label: "x"),
            LabelledSegment(start: 4.8, end: 9, label: "y"),
            LabelledSegment(start: 10, end: 11.8, label: "x"),
        ]
        #expect(DiarizationErrorRate(reference: reference, hypothesis: hypothesis, collar: 0.25).rate == 0)
        #expect(DiarizationErrorRate(reference: reference, hypothesis: hypothesis, collar: 0).rate > 0)
    }
}
