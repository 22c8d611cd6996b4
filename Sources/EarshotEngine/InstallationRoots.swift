import Foundation

/// Where a source checkout's `.venv` may be, relative to a running `earshot`: the working directory, then the
/// executable's directory and up to four above it (`.build/release/earshot` sits three below the checkout).
public enum InstallationRoots {
    public static var candidates: [URL] {
        var roots = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            var directory = executable.deletingLastPathComponent()
            for _ in 0..<5 {
                roots.append(directory)
                directory = directory.deletingLastPathComponent()
            }
        }
        return roots
    }
}
