import Foundation

#if canImport(Glibc)
import Glibc
#endif

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
        var target = stat()
        guard stat(path, &target) == 0 else { return false }
        guard let processes = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        for process in processes where process.first?.isNumber == true {
            // Another user's process, or one that has exited since the listing: not visible.
            guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/fd") else { continue }
            for descriptor in descriptors {
                var opened = stat()
                // `stat` follows the descriptor's link to the open file itself, even one since renamed.
                guard stat("/proc/\(process)/fd/\(descriptor)", &opened) == 0,
                    opened.st_dev == target.st_dev, opened.st_ino == target.st_ino
                else { continue }
                if accessMode(process: process, descriptor: descriptor).map({ $0 != O_RDONLY }) == true { return true }
            }
        }
        #endif
        return false
    }

    #if os(Linux)
    /// The descriptor's access mode (`O_RDONLY`, `O_WRONLY` or `O_RDWR`), from the octal `flags:`
    /// line of `/proc/PID/fdinfo/FD`.
    private static func accessMode(process: String, descriptor: String) -> Int32? {
        guard let info = try? String(contentsOfFile: "/proc/\(process)/fdinfo/\(descriptor)", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("flags:") {
            let octal = line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces)
            return Int32(octal, radix: 8).map { $0 & O_ACCMODE }
        }
        return nil
    }
    #endif
}
