import EarshotCore
import Foundation

/// Renders a ``NodeStatusReport`` as a self-contained HTML page: no scripts and no external
/// assets (a node may run with no internet access), refreshed by the browser every 2 seconds.
/// Every interpolated value goes through ``htmlEscape(_:)``.
enum NodeStatusPage {
    static func render(_ report: NodeStatusReport) -> String {
        let status = report.status
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="2">
            <title>Earshot node \(htmlEscape(status.name))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin-bottom: 1.5em; }
            th, td { text-align: left; padding: 0.25em 1em 0.25em 0; vertical-align: top; }
            th { font-weight: 600; color: #555; }
            .ok { color: #1a7f37; } .bad { color: #c62828; }
            progress { width: 12em; }
            </style>
            </head>
            <body>
            <h1>Earshot node \(htmlEscape(status.name))</h1>
            \(statusSection(status))
            \(jobsSection(report.slots))
            \(queueSection(report.queue))
            \(settingsSection(report.settings, report.system))
            </body>
            </html>

            """
    }

    private static func statusSection(_ status: NodeConnectionStatus) -> String {
        let connection: String
        if status.connected {
            connection = #"<span class="ok">connected</span>"# + (status.serverState.map { " (\(htmlEscape($0)))" } ?? "")
        } else if let error = status.lastHeartbeatError {
            connection = #"<span class="bad">not connected</span>: "# + htmlEscape(error)
        } else {
            connection = #"<span class="bad">not connected</span>: no heartbeat yet"#
        }
        return table("Status", rows: [
            ("Name", htmlEscape(status.name)),
            ("Node ID", htmlEscape(status.nodeId)),
            ("Server", htmlEscape(status.serverUrl)),
            ("Connection", connection),
            ("Last heartbeat", status.lastHeartbeatAt.map { htmlEscape(EarshotJSON.formatTimestamp($0)) } ?? "never"),
            ("Uptime", duration(status.uptimeSeconds)),
        ])
    }

    private static func jobsSection(_ slots: [SlotStatus]) -> String {
        var html = "<h2>Jobs</h2>\n<table>\n<tr><th>Slot</th><th>Job</th><th>Progress</th><th>File</th><th>Model</th></tr>\n"
        for slot in slots {
            guard let jobID = slot.jobId else {
                html += "<tr><td>\(slot.index)</td><td>idle</td><td></td><td></td><td></td></tr>\n"
                continue
            }
            let fraction = min(max(slot.progress ?? 0, 0), 1)
            let percent = Int((fraction * 100).rounded())
            html += "<tr><td>\(slot.index)</td><td>\(htmlEscape(jobID))</td>"
            html += #"<td><progress max="100" value="\#(percent)">\#(percent)%</progress> \#(percent)%</td>"#
            html += "<td>\(htmlEscape(slot.filename ?? ""))</td><td>\(htmlEscape(slot.model ?? ""))</td></tr>\n"
        }
        return html + "</table>"
    }

    private static func queueSection(_ queue: QueueStatus) -> String {
        guard let stats = queue.stats else {
            return "<h2>Queue</h2>\n<p class=\"bad\">unavailable: \(htmlEscape(queue.error ?? "unknown error"))</p>"
        }
        var rows = [
            ("Queued", "\(stats.queued)"),
            ("Running", "\(stats.running)"),
            ("Succeeded", "\(stats.succeeded)"),
            ("Failed", "\(stats.failed)"),
            ("Cancelled", "\(stats.cancelled)"),
            ("Last hour", "\(stats.lastHour.jobsSucceeded) jobs, \(duration(stats.lastHour.audioSeconds)) of audio"),
        ]
        if let waiting = stats.waitingNodes { rows.append(("Nodes waiting for work", "\(waiting)")) }
        return table("Queue", rows: rows)
    }

    private static func settingsSection(_ settings: NodeSettings, _ system: SystemInfo) -> String {
        table("Settings", rows: [
            ("Slots", "\(settings.slots)"),
            ("Models", htmlEscape(settings.models.joined(separator: ", "))),
            ("Engine", htmlEscape(settings.engine)),
            ("Python", htmlEscape(settings.python)),
            ("Threads per engine", "\(settings.threads)"),
            ("Data directory", htmlEscape(settings.dataDir)),
            ("Speaker diarization", settings.diarization ? "yes (speaker model installed)" : "no: the speaker model (pip resemblyzer) is not installed"),
            ("CPUs", "\(system.cpuCount)" + (system.cpuModel.map { " × \(htmlEscape($0))" } ?? "")),
            ("Memory", "\(bytes(system.memoryAvailableBytes)) available of \(bytes(system.memoryTotalBytes))"),
            ("Node process RSS", bytes(system.processRssBytes)),
        ])
    }

    /// A heading and a two-column table; `rows` values must already be escaped HTML.
    private static func table(_ title: String, rows: [(String, String)]) -> String {
        var html = "<h2>\(htmlEscape(title))</h2>\n<table>\n"
        for (label, value) in rows {
            html += "<tr><th>\(htmlEscape(label))</th><td>\(value)</td></tr>\n"
        }
        return html + "</table>"
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let (hours, minutes, secs) = (total / 3600, total % 3600 / 60, total % 60)
        if hours > 0 { return "\(hours)h \(minutes)m \(secs)s" }
        if minutes > 0 { return "\(minutes)m \(secs)s" }
        return "\(secs)s"
    }

    static func bytes(_ count: Int64?) -> String {
        guard let count else { return "unknown" }
        let mib = Double(count) / 1_048_576
        if mib >= 1024 { return String(format: "%.1f GiB", mib / 1024) }
        return String(format: "%.0f MiB", mib)
    }
}
