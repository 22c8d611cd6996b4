/// The release this build belongs to.
public enum EarshotVersion {
    public static let current = "0.1.0"
}
