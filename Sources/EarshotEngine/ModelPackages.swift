import Foundation

/// Where pip installed the packages models come in (`site-packages`), for engines that read the
/// files themselves (whisper.cpp, the speaker encoder).
public enum ModelPackages {
    /// `EARSHOT_MODEL_PACKAGES` (colon-separated), else the `site-packages` of a `.venv` in the working
    /// directory or above the executable (a source checkout).
    public static var directories: [URL] {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["EARSHOT_MODEL_PACKAGES"], !configured.isEmpty {
            return configured.split(separator: ":").map { URL(fileURLWithPath: String($0), isDirectory: true) }
        }
        var found: [URL] = []
        for root in InstallationRoots.candidates {
            let lib = root.appendingPathComponent(".venv/lib", isDirectory: true)
            guard let pythons = try? FileManager.default.contentsOfDirectory(atPath: lib.path) else { continue }
            for python in pythons.sorted() where python.hasPrefix("python") {
                let sitePackages = lib.appendingPathComponent("\(python)/site-packages", isDirectory: true)
                if !found.contains(sitePackages) { found.append(sitePackages) }
            }
        }
        return found
    }

    /// The first of `directories` that holds `relative`.
    public static func file(_ relative: String, in directories: [URL] = directories) -> URL? {
        directories.map { $0.appendingPathComponent(relative) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
