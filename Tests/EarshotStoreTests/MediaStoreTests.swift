import EarshotStore
import Foundation
import Testing

@Suite("Media store")
struct MediaStoreTests {
    @Test("identical content is stored once under its SHA-256")
    func contentAddressed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-media-\(UUID().uuidString)")
        let media = try MediaStore(root: root)
        let source = root.appendingPathComponent("source.bin")
        try Data("abc".utf8).write(to: source)

        let first = try media.ingest(fileAt: source, chunkSize: 1)
        let second = try media.ingest(fileAt: source)
        #expect(first.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(first == second)
        #expect(try Data(contentsOf: media.url(for: first.sha256)) == Data("abc".utf8))
        // No temporary upload files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("incoming").path).isEmpty)

        // Both ingests pinned the file until their jobs exist: it cannot be deleted under them.
        #expect(media.removeUnlessPinned(first.sha256) == false)
        media.unpin(first.sha256)
        #expect(media.removeUnlessPinned(first.sha256) == false)
        media.unpin(second.sha256)
        #expect(media.removeUnlessPinned(first.sha256))
        #expect(!media.contains(first.sha256))
        // A copy of the store sees the same pins.
        let again = try media.ingest(fileAt: source)
        let copy = media
        #expect(copy.removeUnlessPinned(again.sha256) == false)
        copy.unpin(again.sha256)
        #expect(media.removeUnlessPinned(again.sha256))
    }

    @Test("an aborted upload leaves nothing behind")
    func abortedUpload() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-media-\(UUID().uuidString)")
        let media = try MediaStore(root: root)
        let upload = try media.beginUpload()
        try upload.write(Data(repeating: 7, count: 1000))
        upload.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("incoming").path).isEmpty)
    }
}
