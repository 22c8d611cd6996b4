/// What renaming a speaker on a stored draft changes, shared by the stores: its segments' labels
/// and the event that tells listeners (pages showing the draft) to show the new name.
public enum DraftSpeakerRename {
    /// `segments` with every one labelled `from` labelled `to`.
    public static func segments(_ segments: [Segment], from: String, to: String) -> [Segment] {
        segments.map { segment in
            var renamed = segment
            if renamed.speaker == from { renamed.speaker = to }
            return renamed
        }
    }

    /// `draft.speaker_changed` for `draft`, now labelled `to`.
    public static func event(_ draft: Draft, to: String) -> NewEvent {
        NewEvent(
            type: .draftSpeakerChanged, correlationId: draft.sessionId, source: "live",
            data: .draft(DraftEventData(draftId: draft.id, sessionId: draft.sessionId, offsetSeconds: draft.offsetSeconds, speaker: to))
        )
    }
}
