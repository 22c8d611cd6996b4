/// Which files are audio or video by name: what a watched folder queues and what
/// `earshot submit DIR` uploads.
public enum MediaFileTypes {
    public static let extensions: Set<String> = [
        "mp3", "wav", "m4a", "m4b", "aac", "ogg", "oga", "opus", "flac", "wma", "aif", "aiff", "caf", "amr",
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpeg", "mpg", "3gp", "ts",
    ]
    /// Names of files still being written by a browser or a copy tool.
    public static let partialSuffixes = [".part", ".partial", ".crdownload", ".download", ".tmp"]

    /// Whether a file named `name` is audio or video and not a partial download.
    public static func isMedia(_ name: String) -> Bool {
        let lowered = name.lowercased()
        guard !lowered.hasPrefix("."), !partialSuffixes.contains(where: lowered.hasSuffix), let dot = lowered.lastIndex(of: ".") else { return false }
        return extensions.contains(String(lowered[lowered.index(after: dot)...]))
    }
}
