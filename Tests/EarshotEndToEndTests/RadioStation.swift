import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A local stand-in for an internet radio or a camera (which cannot exist here): a real HTTP
/// server that plays a WAV stream at real-time pace to one listener at a time, then drops the
/// connection or holds it open sending nothing. It can be taken down and brought back on the
/// same port. A listener arriving while another is connected is answered 503 (so two captures
/// of one stream show up as one failing); one arriving after the last left hears the whole
/// broadcast from the start (so a capture that gave up early, on a loaded machine, can recover).
final class RadioStation: Sendable {
    enum Ending: Sendable {
        /// The connection breaks after the audio (the station went down).
        case drop
        /// The connection stays open with nothing more sent (a stalled source).
        case hang
    }

    var port: Int { server.port }
    /// Yields once the audio has all been sent.
    let played: AsyncStream<Void>
    private let server: LoopbackServer
    private let release: AsyncStream<Void>.Continuation

    struct Dropped: Error {}

    /// `leadIn`: how long a listener waits, connected, before the first byte (a camera's slow handshake).
    /// `plays`: how many broadcasts it gives before refusing listeners (503), however long the test
    /// takes to shut it down; nil for no limit.
    init(port: Int = 0, samples: [Int16], ending: Ending, leadIn: Duration = .zero, plays: Int? = nil) async throws {
        let (played, playedContinuation) = AsyncStream<Void>.makeStream()
        let (released, release) = AsyncStream<Void>.makeStream()
        self.played = played
        self.release = release
        let onAir = Mutex(false)
        let started = Mutex(0)
        let router = Router()
        router.get("radio.wav") { _, _ -> Response in
            let free = onAir.withLock { busy in
                defer { busy = true }
                return !busy
            }
            guard free else { return Response(status: .serviceUnavailable) }
            let allowed = started.withLock { count in
                defer { count += 1 }
                return plays.map { count < $0 } ?? true
            }
            guard allowed else {
                onAir.withLock { $0 = false }
                return Response(status: .serviceUnavailable)
            }
            return Response(status: .ok, headers: [.contentType: "audio/wav"], body: ResponseBody { writer in
                defer { onAir.withLock { $0 = false } }
                try await Task.sleep(for: leadIn)
                try await writer.write(ByteBuffer(bytes: Self.streamingWAVHeader))
                let clock = ContinuousClock()
                let start = clock.now
                for (index, offset) in stride(from: 0, to: samples.count, by: 1600).enumerated() {
                    var bytes: [UInt8] = []
                    for sample in samples[offset..<min(offset + 1600, samples.count)] {
                        bytes += [UInt8(truncatingIfNeeded: sample), UInt8(truncatingIfNeeded: sample >> 8)]
                    }
                    try await writer.write(ByteBuffer(bytes: bytes))
                    // Real time: chunk n leaves no earlier than n × 100 ms after the first.
                    try await clock.sleep(until: start + .milliseconds(100 * (index + 1)))
                }
                playedContinuation.yield()
                if case .hang = ending {
                    for await _ in released {}
                }
                throw Dropped()
            })
        }
        server = try await LoopbackServer.start(router, port: port)
    }

    /// Takes the station down: a held connection breaks, new ones are refused.
    func shutDown() async {
        release.finish()
        await server.stop()
    }

    /// 16 kHz mono 16-bit WAV with the largest sizes, as live encoders write it.
    static let streamingWAVHeader: [UInt8] = {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        bytes += Array("RIFF".utf8)
        append(UInt32(0xFFFF_FFF0))
        bytes += Array("WAVEfmt ".utf8)
        append(UInt32(16))
        append(UInt16(1))
        append(UInt16(1))
        append(UInt32(16_000))
        append(UInt32(32_000))
        append(UInt16(2))
        append(UInt16(16))
        bytes += Array("data".utf8)
        append(UInt32(0xFFFF_FFC0))
        return bytes
    }()
}
