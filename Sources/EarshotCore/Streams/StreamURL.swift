import Foundation

/// Checks a stream URL before ffmpeg ever sees it: only network media schemes (and local files
/// when the server allows them, for testing), a host, no whitespace or control characters.
public enum StreamURL {
    public static let networkSchemes: Set<String> = ["rtsp", "rtsps", "http", "https"]
    public static let maxLength = 2048

    /// A URL that cannot be a stream source; `message` is safe to show (credentials masked).
    public struct Invalid: Error, Sendable, Hashable {
        public var message: String
    }

    /// The URL's scheme, lowercased, when it is acceptable.
    public static func validate(_ text: String, allowFiles: Bool) throws(Invalid) -> String {
        let shown = URLCredentials.masked(text)
        guard !text.isEmpty, text.count <= maxLength else { throw Invalid(message: "url must be 1-\(maxLength) characters") }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Invalid(message: "url must not contain spaces or control characters")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw Invalid(message: "'\(shown.prefix(200))' is not a URL")
        }
        if scheme == "file" {
            guard allowFiles else {
                throw Invalid(message: "file URLs are turned off on this server (stream_file_sources: true enables them, for testing)")
            }
            guard components.path.hasPrefix("/"), components.host?.isEmpty ?? true else { throw Invalid(message: "a file URL needs an absolute path: file:///path/to/audio") }
            return scheme
        }
        guard networkSchemes.contains(scheme) else {
            let allowed = networkSchemes.sorted().joined(separator: ", ") + (allowFiles ? ", file" : "")
            throw Invalid(message: "scheme '\(scheme.prefix(20))' is not allowed; use one of \(allowed)")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(message: "'\(shown.prefix(200))' has no host") }
        return scheme
    }

    /// The protocols ffmpeg may use for a URL of `scheme`, so that a playlist or redirect cannot
    /// lead it to a local file or another protocol.
    public static func ffmpegProtocols(for scheme: String) -> String {
        switch scheme {
        case "file": "file"
        case "rtsp", "rtsps": "rtsp,rtsps,rtp,srtp,udp,tcp,tls"
        default: "http,https,tcp,tls,crypto,hls,httpproxy"
        }
    }
}
