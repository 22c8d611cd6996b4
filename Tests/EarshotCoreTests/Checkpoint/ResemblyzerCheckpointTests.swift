import Foundation
import Testing
@testable import EarshotCore

@Suite("Resemblyzer pretrained.pt")
struct ResemblyzerCheckpointTests {
    @Test func matchesReferenceConversion() throws {
        let data = try Fixtures.checkpoint()
        let tensors = try LegacyTorchCheckpoint.tensors(in: data, stateKey: "model_state")

        #expect(tensors.map(\.name) == Fixtures.tensors.map(\.name))
        #expect(tensors.map(\.shape) == Fixtures.tensors.map(\.shape))
        var bytes = Data()
        for tensor in tensors {
            #expect(tensor.values.count == tensor.shape.reduce(1, *), "\(tensor.name)")
            for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        #expect(hasher.finalizeHex() == Fixtures.valuesSHA256, "the values are bit-identical to Python's reading")
    }

    @Test func storageStartFixtureIsRight() throws {
        let data = try Fixtures.checkpoint()
        let count = data.subdata(in: Fixtures.resemblyzerStorageStart..<(Fixtures.resemblyzerStorageStart + 8))
            .withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
        #expect(count == 1)  // The first storage is `similarity_weight`'s single element.
    }

    @Test func otherStateKeyIsReportedAsNotADict() throws {
        let data = try Fixtures.checkpoint()
        #expect(throws: CheckpointError.self) { try LegacyTorchCheckpoint.tensors(in: data, stateKey: "step") }
    }
}

@Suite("Malformed checkpoints")
struct MalformedInputTests {
    /// 100 cut points through the pickles and 100 through the storage records; every
    /// truncation loses required data, so every one must be an error.
    @Test func truncationsAreErrors() async throws {
        let data = try Fixtures.checkpoint()
        let pickleEnd = Fixtures.resemblyzerStorageStart
        var cuts = (0..<100).map { $0 * pickleEnd / 100 }
        cuts += (0..<100).map { pickleEnd + 1 + $0 * (data.count - pickleEnd - 2) / 99 }
        cuts += [pickleEnd, pickleEnd + 4, pickleEnd + 8, data.count - 1]
        let accepted = try await offThePool { [cuts] in
            cuts.filter { cut in (try? LegacyTorchCheckpoint.tensors(in: data.prefix(cut), stateKey: "model_state")) != nil }
        }
        #expect(accepted.isEmpty, "truncations accepted at \(accepted)")
        #expect(cuts.count >= 200)
    }

    /// Flips that hit float data legitimately still read; everything else must be an error.
    @Test func byteFlipsNeverCrash() async throws {
        let original = try Fixtures.checkpoint()
        let outcomes = try await offThePool { Self.flipBytes(in: original) }
        print("byte flips: \(outcomes.read) read, \(outcomes.rejected) rejected")
        #expect(outcomes.read + outcomes.rejected == 400)
        #expect(outcomes.rejected > 0)
    }

    private static func flipBytes(in original: Data) -> (read: Int, rejected: Int) {
        var data = original
        var random = SplitMix64(state: 0x5EED)
        var outcomes = (read: 0, rejected: 0)
        for trial in 0..<400 {
            // Half the trials aim at the pickles, which are only the first ~6.7 KB.
            let range = trial.isMultiple(of: 2) ? Fixtures.resemblyzerStorageStart : 100_000
            let positions = (0..<Int.random(in: 1...3, using: &random)).map { _ in Int.random(in: 0..<range, using: &random) }
            let saved = positions.map { data[$0] }
            for position in positions { data[position] ^= UInt8.random(in: 1...255, using: &random) }
            do {
                _ = try LegacyTorchCheckpoint.tensors(in: data, stateKey: "model_state")
                outcomes.read += 1
            } catch {
                outcomes.rejected += 1
            }
            for (position, byte) in zip(positions, saved).reversed() { data[position] = byte }
        }
        return outcomes
    }

    @Test func emptyFile() {
        expectError(Data(), containing: "empty file")
    }

    @Test func zipHeader() {
        expectError(Data("PK\u{3}\u{4}\u{14}\u{0}\u{0}\u{0}\u{0}\u{0}archive/data.pkl".utf8), containing: "zip-format")
    }

    @Test func notAPickle() {
        expectError(Data("hello, world".utf8), containing: "not a legacy torch checkpoint")
    }

    @Test func storageCountBeyondFile() throws {
        var data = try Fixtures.checkpoint()
        let start = Fixtures.resemblyzerStorageStart
        withUnsafeBytes(of: Int64(1 << 60).littleEndian) { data.replaceSubrange(start..<(start + 8), with: $0) }
        expectError(data, containing: "elements in the file")
    }

    @Test func lastStorageLongerThanFile() throws {
        // Dropping the tail of the last storage leaves its (correct) count promising more bytes.
        let data = try Fixtures.checkpoint()
        expectError(data.prefix(data.count - 4), containing: "truncated data of storage")
    }
}
