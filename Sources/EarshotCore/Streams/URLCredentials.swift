import Foundation

/// Keeps passwords in URLs out of every output: API answers, logs, events, the settings page.
public enum URLCredentials {
    public static let mask = "••••••"

    /// `rtsp://user:pass@host/x` → `rtsp://user:••••••@host/x`; `https://token@host/` →
    /// `https://••••••@host/`. Text without credentials comes back unchanged.
    public static func masked(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") else { return text }
        let authority = text[scheme.upperBound..<at]
        guard !authority.contains("/") else { return text }
        let user = authority.firstIndex(of: ":").map { authority[..<$0] }
        let shown = user.map { "\($0):\(mask)" } ?? mask
        return String(text[..<scheme.upperBound]) + shown + String(text[at...])
    }

    /// Replaces the password (and a bare token) of `url` wherever it appears in `text`, such as
    /// an ffmpeg error line that quotes the URL or a part of it.
    public static func redact(_ text: String, secretsOf url: String) -> String {
        var result = text.replacingOccurrences(of: url, with: masked(url))
        for secret in secrets(of: url) where secret.count >= 3 {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        return result
    }

    /// The password (or the whole user part when it has no password) of `url`, as written and
    /// percent-decoded.
    static func secrets(of url: String) -> [String] {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return [] }
        let authority = url[scheme.upperBound..<at]
        guard !authority.contains("/") else { return [] }
        let secret = authority.firstIndex(of: ":").map { String(authority[authority.index(after: $0)...]) } ?? String(authority)
        guard !secret.isEmpty else { return [] }
        let decoded = secret.removingPercentEncoding ?? secret
        return decoded == secret ? [secret] : [secret, decoded]
    }
}
