import Foundation

/// The machine's CPU and memory and this process's footprint, read from `/proc` at render time
/// so the page shows what a node operator needs when deciding how many slots a machine can take.
/// Fields are nil where `/proc` is missing (macOS) or unreadable.
public struct SystemInfo: Codable, Sendable, Hashable {
    public var cpuCount: Int
    public var cpuModel: String?
    public var memoryTotalBytes: Int64?
    public var memoryAvailableBytes: Int64?
    public var processRssBytes: Int64?

    public init(cpuCount: Int, cpuModel: String?, memoryTotalBytes: Int64?, memoryAvailableBytes: Int64?, processRssBytes: Int64?) {
        self.cpuCount = cpuCount
        self.cpuModel = cpuModel
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryAvailableBytes = memoryAvailableBytes
        self.processRssBytes = processRssBytes
    }

    /// Reads the current values.
    public static func current() -> SystemInfo {
        let meminfo = read("/proc/meminfo")
        let status = read("/proc/self/status")
        return SystemInfo(
            cpuCount: ProcessInfo.processInfo.activeProcessorCount,
            cpuModel: read("/proc/cpuinfo").flatMap { field("model name", in: $0) },
            memoryTotalBytes: meminfo.flatMap { kilobytes("MemTotal", in: $0) },
            memoryAvailableBytes: meminfo.flatMap { kilobytes("MemAvailable", in: $0) },
            processRssBytes: status.flatMap { kilobytes("VmRSS", in: $0) }
        )
    }

    private static func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    /// The value of the first `key: value` line (the format of all three files).
    static func field(_ key: String, in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// A `key:  1234 kB` field in bytes (the kernel's "kB" means KiB).
    static func kilobytes(_ key: String, in text: String) -> Int64? {
        guard let value = field(key, in: text), let number = value.split(separator: " ").first.flatMap({ Int64($0) }) else {
            return nil
        }
        return number * 1024
    }
}
