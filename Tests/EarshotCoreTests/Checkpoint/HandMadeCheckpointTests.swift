import Foundation
import Testing
@testable import EarshotCore

@Suite("Hand-made legacy checkpoints")
struct HandMadeCheckpointTests {
    let storage = LegacyFileBuilder.Storage(key: "0", values: (0..<10).map { Float($0) * 0.5 })

    @Test func sharedStorageWithOffsets() throws {
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("weight")
            pickle.tensor(key: "0", numel: 10, offset: 2, shape: [2, 3], stride: [3, 1])
            pickle.string("bias")
            pickle.tensor(key: "0", numel: 10, offset: 8, shape: [2], stride: [1])
            pickle.string("scale")
            pickle.tensor(key: "0", numel: 10, offset: 9, shape: [], stride: [])
        }
        let data = LegacyFileBuilder.file(object: object, storages: [storage])
        let tensors = try LegacyTorchCheckpoint.tensors(in: data, stateKey: "model_state")
        #expect(tensors == [
            CheckpointTensor(name: "weight", shape: [2, 3], values: [1, 1.5, 2, 2.5, 3, 3.5]),
            CheckpointTensor(name: "bias", shape: [2], values: [4, 4.5]),
            CheckpointTensor(name: "scale", shape: [], values: [4.5]),
        ])
    }

    @Test func storageViewAndSize1Stride() throws {
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("viewed")
            // View elements 1..<6 of the root; tensor offset 1 inside the view -> root elements 2..<6.
            pickle.tensor(key: "0", numel: 10, offset: 1, shape: [2, 2], stride: [2, 1], view: ("v", 1, 5))
            pickle.string("column")
            // A size-1 dimension may carry any stride and is still C order.
            pickle.tensor(key: "0", numel: 10, offset: 0, shape: [3, 1], stride: [1, 99])
        }
        let data = LegacyFileBuilder.file(object: object, storages: [storage])
        let tensors = try LegacyTorchCheckpoint.tensors(in: data, stateKey: "model_state")
        #expect(tensors.map(\.values) == [[1, 1.5, 2, 2.5], [0, 0.5, 1]])
        #expect(tensors.map(\.shape) == [[2, 2], [3, 1]])
    }

    @Test func nonContiguousStrideIsRejected() {
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("transposed")
            pickle.tensor(key: "0", numel: 10, offset: 0, shape: [2, 3], stride: [1, 2])
        }
        expectError(LegacyFileBuilder.file(object: object, storages: [storage]), containing: "not C-contiguous")
    }

    @Test func tensorBeyondStorageIsRejected() {
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("w")
            pickle.tensor(key: "0", numel: 10, offset: 5, shape: [2, 3], stride: [3, 1])
        }
        expectError(LegacyFileBuilder.file(object: object, storages: [storage]), containing: "exceeds its storage")
    }

    @Test func nonFloatDtypeIsRejected() {
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("count")
            pickle.tensor(key: "0", numel: 5, offset: 0, shape: [1], stride: [1], storageType: "LongStorage")
        }
        // Ten float32 values are the 40 bytes of five int64 elements.
        var longs = storage
        longs.headerCount = 5
        expectError(LegacyFileBuilder.file(object: object, storages: [longs]), containing: "unsupported dtype")
    }

    @Test func hugeElementCountsAreRejected() {
        let huge = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("w")
            pickle.tensor(key: "0", numel: 1 << 60, offset: 0, shape: [1 << 30, 1 << 30], stride: [1 << 30, 1])
        }
        expectError(LegacyFileBuilder.file(object: huge, storages: [storage]), containing: "more than the file holds")

        var lying = storage
        lying.headerCount = 1 << 60
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("w")
            pickle.tensor(key: "0", numel: 10, offset: 0, shape: [10], stride: [1])
        }
        expectError(LegacyFileBuilder.file(object: object, storages: [lying]), containing: "elements in the file")
    }

    @Test func aliasingAmplificationIsRejected() {
        let big = LegacyFileBuilder.Storage(key: "0", values: [Float](repeating: 1, count: 1000))
        let object = LegacyFileBuilder.checkpoint { pickle in
            for index in 0..<20 {
                pickle.string("alias\(index)")
                pickle.tensor(key: "0", numel: 1000, offset: 0, shape: [1000], stride: [1])
            }
        }
        expectError(LegacyFileBuilder.file(object: object, storages: [big]), containing: "the file size")
    }

    @Test func disallowedGlobalIsRejected() {
        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("w")
            pickle.global("os", "system")
            pickle.mark()
            pickle.string("true")
            pickle.tuple()
            pickle.reduce()
        }
        expectError(LegacyFileBuilder.file(object: object, storages: []), containing: "os.system is not allowed")
    }

    @Test func missingStateKeyListsAvailableKeys() {
        let object = LegacyFileBuilder.checkpoint { _ in }
        expectError(LegacyFileBuilder.file(object: object, storages: []), containing: "'step', 'model_state'", stateKey: "state_dict")
    }

    @Test func deepNestingIsRejected() {
        var pickle = PickleBuilder()
        pickle.proto()
        for _ in 0..<100_000 { pickle.emptyList() }
        for _ in 0..<99_999 { pickle.append() }
        pickle.stop()
        expectError(LegacyFileBuilder.file(object: pickle, storages: []), containing: "nested deeper")
    }

    @Test func cyclesAndLateMutationAreRejected() {
        var cycle = PickleBuilder()
        cycle.proto()
        cycle.emptyList()
        cycle.put(0)
        cycle.get(0)
        cycle.append()
        cycle.stop()
        expectError(LegacyFileBuilder.file(object: cycle, storages: []), containing: "modified after")

        var badMemo = PickleBuilder()
        badMemo.proto()
        badMemo.get(42)
        badMemo.stop()
        expectError(LegacyFileBuilder.file(object: badMemo, storages: []), containing: "memo index 42")
    }

    @Test func unreferencedAndMissingStoragesAreRejected() {
        let unused = LegacyFileBuilder.checkpoint { _ in }
        expectError(LegacyFileBuilder.file(object: unused, storages: [storage]), containing: "not used")

        let object = LegacyFileBuilder.checkpoint { pickle in
            pickle.string("w")
            pickle.tensor(key: "0", numel: 10, offset: 0, shape: [10], stride: [1])
        }
        expectError(LegacyFileBuilder.file(object: object, storages: []), containing: "has no data")
    }
}

/// Asserts that reading fails with a message containing `fragment`.
func expectError(
    _ data: Data, containing fragment: String, stateKey: String = "model_state",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let tensors = try LegacyTorchCheckpoint.tensors(in: data, stateKey: stateKey)
        Issue.record("expected an error containing \"\(fragment)\", got \(tensors.count) tensors", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}
