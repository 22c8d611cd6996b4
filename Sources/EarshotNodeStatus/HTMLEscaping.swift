import EarshotCore

/// Escapes text for HTML element content and quoted attribute values. Node names, job ids, file
/// names and error messages come from users or the network, so everything interpolated into the
/// status page goes through this.
public func htmlEscape(_ text: String) -> String {
    HTMLText.escape(text)
}
