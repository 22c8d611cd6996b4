/// Clock-style time stamps for the export formats.
///
/// Every stamp is computed from a whole number of milliseconds rather than from the fractional
/// seconds, so rounding can carry into the seconds, minutes and hours (59.9996 s is `00:01:00.000`,
/// never `00:00:59.1000`).
public enum Timecode {
    /// The cap for absurd inputs (about 317 years); keeps the `Int` conversion from trapping.
    static let maxMilliseconds = 9_999_999_999_999

    /// `seconds` as whole milliseconds, rounded half up; negative and NaN times become 0.
    public static func milliseconds(_ seconds: Double) -> Int {
        guard !seconds.isNaN, seconds > 0 else { return 0 }
        let millis = (seconds * 1000).rounded(.toNearestOrAwayFromZero)
        guard millis < Double(maxMilliseconds) else { return maxMilliseconds }
        return Int(millis)
    }

    /// `HH:MM:SS,mmm`, the SubRip form.
    public static func srt(_ seconds: Double) -> String {
        stamp(milliseconds: milliseconds(seconds), separator: ",")
    }

    /// `HH:MM:SS.mmm`, the WebVTT form. Hours are always present so every cue has the same shape.
    public static func vtt(_ seconds: Double) -> String {
        stamp(milliseconds: milliseconds(seconds), separator: ".")
    }

    /// `HH:MM:SS`, truncated to the whole second so a stamp never points past the speech it labels.
    public static func clock(_ seconds: Double) -> String {
        clock(milliseconds: milliseconds(seconds))
    }

    static func clock(milliseconds: Int) -> String {
        hms(milliseconds / 1000)
    }

    /// A cue's start and end in milliseconds; an end before the start collapses to the start, since
    /// players reject or skip cues that end before they begin.
    static func cueRange(start: Double, end: Double) -> (start: Int, end: Int) {
        let startMillis = milliseconds(start)
        return (startMillis, max(milliseconds(end), startMillis))
    }

    static func stamp(milliseconds: Int, separator: Character) -> String {
        var text = hms(milliseconds / 1000)
        text.append(separator)
        text += pad(milliseconds % 1000, width: 3)
        return text
    }

    private static func hms(_ totalSeconds: Int) -> String {
        // Hours are not wrapped: a stamp past 99 hours just gets more digits.
        let hours = totalSeconds / 3600
        let minutes = totalSeconds / 60 % 60
        let seconds = totalSeconds % 60
        return "\(pad(hours, width: 2)):\(pad(minutes, width: 2)):\(pad(seconds, width: 2))"
    }

    private static func pad(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
