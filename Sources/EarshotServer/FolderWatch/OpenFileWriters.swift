import Foundation

/// Whether a process still holds a file open for writing, read from Linux's `/proc`.
///
/// A copy that stalls (a slow share, a busy machine) can leave a file unchanged for longer than
/// any settle time while its writer still has it open; the watcher must not take it then. Only the
/// processes this one may inspect are seen (the same user's, or all as root); for the rest, and
/// where there is no `/proc`, the answer is `false` and the settle time alone decides.
enum OpenFileWriters {
    /// Whether any visible process has `path` open for writing (write-only or read-write).
    static func isOpenForWriting(_ path: String) -> Bool {
        #if os(Linux)
        let files = FileManager.default
        // A descriptor's link names the file's current path, symbolic links resolved.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard files.fileExists(atPath: target), let processes = try? files.contentsOfDirectory(atPath: "/proc") else { return false }
        for process in processes where process.first?.isNumber == true {
            // Another user's process, or one that has exited since the listing: not visible.
            guard let descriptors = try? files.contentsOfDirectory(atPath: "/proc/\(process)/fd") else { continue }
            for descriptor in descriptors {
                guard (try? files.destinationOfSymbolicLink(atPath: "/proc/\(process)/fd/\(descriptor)")) == target else { continue }
                if let mode = accessMode(process: process, descriptor: descriptor), mode != readOnly { return true }
            }
        }
        #endif
        return false
    }

    #if os(Linux)
    /// Linux's `O_ACCMODE` and `O_RDONLY`: the low two bits of the open flags are the access mode.
    private static let accessModeMask = 0o3
    private static let readOnly = 0

    /// The descriptor's access mode, from the octal `flags:` line of `/proc/PID/fdinfo/FD`.
    private static func accessMode(process: String, descriptor: String) -> Int? {
        guard let info = try? String(contentsOfFile: "/proc/\(process)/fdinfo/\(descriptor)", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("flags:") {
            let octal = line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces)
            return Int(octal, radix: 8).map { $0 & accessModeMask }
        }
        return nil
    }
    #endif
}
