internal import CWhisperCpp
import EarshotAudio
import EarshotCore
import EarshotEngine
import Foundation
import Synchronization

/// One recognizer's decoding state for one model (whisper.cpp's working buffers, tens of MB), kept between runs.
final class WhisperCppState: @unchecked Sendable {
    let context: WhisperCppContext
    let pointer: OpaquePointer

    init?(context: WhisperCppContext) {
        guard let pointer = whisper_init_state(context.pointer) else { return nil }
        self.context = context
        self.pointer = pointer
    }

    deinit { whisper_free_state(pointer) }
}

/// One `whisper_full` call on a thread of its own, its callbacks turned into ``RecognitionEvent``s.
enum WhisperCppRun {
    /// Set when the consumer goes away; whisper.cpp polls it through its abort callback.
    final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)
        func cancel() { flag.store(true, ordering: .relaxed) }
        var isCancelled: Bool { flag.load(ordering: .relaxed) }
    }

    /// What the C callbacks reach through their `user_data` pointer. Only the decoding thread touches
    /// `infoSent`; the continuation is thread-safe.
    final class Callbacks: @unchecked Sendable {
        let state: WhisperCppState
        let continuation: AsyncThrowingStream<RecognitionEvent, any Error>.Continuation
        let cancellation: Cancellation
        let wordTimestamps: Bool
        let duration: Double
        let fixedLanguage: String?
        var infoSent = false

        init(
            state: WhisperCppState, continuation: AsyncThrowingStream<RecognitionEvent, any Error>.Continuation,
            cancellation: Cancellation, wordTimestamps: Bool, duration: Double, fixedLanguage: String?
        ) {
            self.state = state
            self.continuation = continuation
            self.cancellation = cancellation
            self.wordTimestamps = wordTimestamps
            self.duration = duration
            self.fixedLanguage = fixedLanguage
        }

        func sendInfoOnce() {
            guard !infoSent else { return }
            infoSent = true
            var language = fixedLanguage ?? ""
            let id = whisper_full_lang_id_from_state(state.pointer)
            if fixedLanguage == nil, id >= 0, let name = whisper_lang_str(id) { language = String(cString: name) }
            continuation.yield(.info(language: language, durationSeconds: duration))
        }

        func sendSegments(from first: Int32, to end: Int32) {
            sendInfoOnce()
            for index in first..<end {
                let segment = makeSegment(index)
                let progress = duration > 0 ? min(1, segment.end / duration) : 1
                continuation.yield(.segment(segment, progress: progress))
            }
        }

        private func makeSegment(_ index: Int32) -> Segment {
            let pointer = state.pointer
            let context = state.context.pointer
            let start = Double(whisper_full_get_segment_t0_from_state(pointer, index)) / 100
            let end = Double(whisper_full_get_segment_t1_from_state(pointer, index)) / 100
            let text = whisper_full_get_segment_text_from_state(pointer, index).map { String(cString: $0) } ?? ""
            let endOfText = whisper_token_eot(context)
            var logprobs: [Double] = []
            var words: [Word] = []
            var wordBytes: [UInt8] = []
            var wordStart = 0.0, wordEnd = 0.0
            var wordProbabilities: [Double] = []
            func closeWord() {
                let wordText = String(decoding: wordBytes, as: UTF8.self)
                if !wordText.trimmingCharacters(in: .whitespaces).isEmpty {
                    let probability = wordProbabilities.reduce(0, +) / Double(max(1, wordProbabilities.count))
                    words.append(Word(start: wordStart, end: wordEnd, text: wordText, probability: probability))
                }
                wordBytes = []
                wordProbabilities = []
            }
            for token in 0..<whisper_full_n_tokens_from_state(pointer, index) {
                let data = whisper_full_get_token_data_from_state(pointer, index, token)
                // Special tokens (timestamps, start/end markers) carry no text.
                guard data.id < endOfText else { continue }
                logprobs.append(Double(data.plog))
                guard wordTimestamps, let piece = whisper_full_get_token_text_from_state(context, pointer, index, token) else { continue }
                let bytes = Array(String(cString: piece).utf8)
                if bytes.first == UInt8(ascii: " "), !wordBytes.isEmpty { closeWord() }
                if wordBytes.isEmpty { wordStart = Double(data.t0) / 100 }
                wordBytes.append(contentsOf: bytes)
                wordEnd = Double(data.t1) / 100
                wordProbabilities.append(Double(data.p))
            }
            if wordTimestamps, !wordBytes.isEmpty { closeWord() }
            let average = logprobs.isEmpty ? nil : logprobs.reduce(0, +) / Double(logprobs.count)
            let noSpeech = Double(whisper_full_get_segment_no_speech_prob_from_state(pointer, index))
            return Segment(
                start: start, end: max(start, end), text: text, avgLogprob: average, noSpeechProb: noSpeech,
                words: wordTimestamps ? words : nil
            )
        }
    }

    /// Runs `whisper_full` on a new thread and returns when it is done; segments are yielded as they come.
    static func start(
        state: WhisperCppState, samples: [Float], options: TranscriptionOptions, threads: Int,
        continuation: AsyncThrowingStream<RecognitionEvent, any Error>.Continuation, cancellation: Cancellation
    ) async throws {
        let english = !state.context.isMultilingual
        let language = options.language ?? (english ? "en" : nil)
        if english, let requested = options.language, requested != "en" {
            throw RecognitionError.badAudio("this model transcribes English only; language '\(requested)' was asked for")
        }
        let callbacks = Callbacks(
            state: state, continuation: continuation, cancellation: cancellation, wordTimestamps: options.wordTimestamps,
            duration: Double(samples.count) / Double(DecodedAudio.sampleRate), fixedLanguage: language
        )
        let result: Int32 = await withCheckedContinuation { done in
            let thread = Thread {
                let code = decode(samples: samples, options: options, language: language, threads: threads, callbacks: callbacks)
                done.resume(returning: code)
            }
            thread.name = "whisper.cpp"
            // Decoding recurses a little deeper than the default 512 KB secondary-thread stack allows.
            thread.stackSize = 8 << 20
            thread.start()
        }
        if cancellation.isCancelled { throw CancellationError() }
        guard result == 0 else { throw RecognitionError.engine("whisper.cpp failed (whisper_full returned \(result))") }
        callbacks.sendInfoOnce()
    }

    private static func decode(
        samples: [Float], options: TranscriptionOptions, language: String?, threads: Int, callbacks: Callbacks
    ) -> Int32 {
        let beam = options.beamSize > 1
        var parameters = whisper_full_default_params(beam ? WHISPER_SAMPLING_BEAM_SEARCH : WHISPER_SAMPLING_GREEDY)
        parameters.n_threads = Int32(threads)
        parameters.beam_search.beam_size = Int32(max(1, options.beamSize))
        parameters.print_progress = false
        parameters.print_realtime = false
        parameters.print_timestamps = false
        parameters.print_special = false
        parameters.token_timestamps = options.wordTimestamps
        parameters.suppress_nst = true
        if let temperature = options.temperature {
            parameters.temperature = Float(temperature)
            parameters.temperature_inc = 0
        }
        let userData = Unmanaged.passUnretained(callbacks).toOpaque()
        parameters.new_segment_callback = { _, _, newCount, userData in
            guard let userData else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(userData).takeUnretainedValue()
            let total = whisper_full_n_segments_from_state(callbacks.state.pointer)
            callbacks.sendSegments(from: total - newCount, to: total)
        }
        parameters.new_segment_callback_user_data = userData
        parameters.abort_callback = { userData in
            guard let userData else { return false }
            return Unmanaged<Callbacks>.fromOpaque(userData).takeUnretainedValue().cancellation.isCancelled
        }
        parameters.abort_callback_user_data = userData
        parameters.encoder_begin_callback = { _, _, userData in
            guard let userData else { return true }
            return !Unmanaged<Callbacks>.fromOpaque(userData).takeUnretainedValue().cancellation.isCancelled
        }
        parameters.encoder_begin_callback_user_data = userData

        return withOptionalCString(language ?? "auto") { languagePointer in
            withOptionalCString(options.prompt) { promptPointer in
                parameters.language = languagePointer
                parameters.initial_prompt = promptPointer
                return samples.withUnsafeBufferPointer { buffer in
                    withExtendedLifetime(callbacks) {
                        whisper_full_with_state(
                            callbacks.state.context.pointer, callbacks.state.pointer, parameters, buffer.baseAddress,
                            Int32(buffer.count)
                        )
                    }
                }
            }
        }
    }

    private static func withOptionalCString<T>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
    }
}
