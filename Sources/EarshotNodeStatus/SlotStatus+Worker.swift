import EarshotCore
import EarshotNode

extension SlotStatus {
    /// What `worker` is doing now, as slot `index` (1-based).
    public init(index: Int, worker: TranscriptionWorker) {
        guard let job = worker.currentJob else {
            self.init(index: index)
            return
        }
        self.init(
            index: index, jobId: job.id.rawValue, progress: worker.currentProgress ?? 0,
            filename: job.media.filename, model: job.options.model
        )
    }
}
