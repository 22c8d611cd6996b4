import EarshotCore
import EarshotStore
import Foundation

/// `export-folder`: writes each finished transcript into a directory in the chosen formats,
/// atomically (a temporary file renamed into place), named after the upload and the job.
struct ExportFolderPlugin: Plugin {
    let name: String
    let directory: URL
    let formats: [ExportFormat]

    var subscription: EventTypeFilter { EventTypeFilter(types: [.jobSucceeded]) }

    func start() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func handle(_ event: Event, context: PluginContext) async throws {
        guard case .job(let data) = event.data else { return }
        // A job deleted since it succeeded has nothing left to export.
        guard let transcript = try await context.store.transcript(of: data.jobId) else { return }
        let job = try? await context.store.job(data.jobId)
        let metadata = job?.metadata ?? [:]
        let stem = Self.fileStem(title: transcript.title, jobID: data.jobId)
        for format in formats {
            let target = directory.appendingPathComponent("\(stem).\(format.fileExtension)")
            let temporary = directory.appendingPathComponent(".\(stem).\(format.fileExtension).\(UUID().uuidString.prefix(8)).tmp")
            try Data(ExportFormat.render(transcript, as: format, metadata: metadata).utf8).write(to: temporary)
            _ = try? FileManager.default.removeItem(at: target)
            try FileManager.default.moveItem(at: temporary, to: target)
        }
    }

    /// `talk-0f8fad5b`: the upload's name without extension or path separators, plus the job id's
    /// first block, so two uploads of `talk.mp3` do not overwrite each other.
    static func fileStem(title: String, jobID: JobID) -> String {
        let base = (title as NSString).deletingPathExtension
        let safe = String(base.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) || "-_. ".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        }).trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        return (safe.isEmpty ? "transcript" : String(safe.prefix(100))) + "-" + String(jobID.rawValue.prefix(8))
    }
}
