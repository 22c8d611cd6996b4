/// What renaming a speaker on a stored draft changes, shared by the stores: its segments' labels
/// and the event that tells listeners (pages showing the draft) to show the new name.
public enum DraftSpeakerRename {
    /// `draft` labelled `to`, with every segment labelled `from` labelled `to`.
    public static func renamed(_ draft: Draft, from: String, to: String) -> Draft {
        var renamed = draft
        renamed.speaker = to
        for index in renamed.segments.indices where renamed.segments[index].speaker == from {
            renamed.segments[index].speaker = to
        }
        return renamed
    }

    /// `draft.speaker_changed` for `draft`, now labelled `to`.
    public static func event(_ draft: Draft, to: String) -> NewEvent {
        NewEvent(
            type: .draftSpeakerChanged, correlationId: draft.sessionId, source: "live",
            data: .draft(DraftEventData(draftId: draft.id, sessionId: draft.sessionId, offsetSeconds: draft.offsetSeconds, speaker: to))
        )
    }
}
