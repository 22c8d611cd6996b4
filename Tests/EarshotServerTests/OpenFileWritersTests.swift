@testable import EarshotServer
import Foundation
import Testing

@Suite("Open file writers")
struct OpenFileWritersTests {
    @Test("a file open for writing or reading and writing is seen as such, by its new name too; read-only, closed or missing is not")
    func writers() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-writers-\(UUID().uuidString).wav")
        let renamed = file.deletingPathExtension().appendingPathExtension("renamed.wav")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: renamed)
        }
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("RIFF".utf8)))
        #expect(!OpenFileWriters.isOpenForWriting(file.path))

        let reader = try FileHandle(forReadingFrom: file)
        #expect(!OpenFileWriters.isOpenForWriting(file.path), "read-only")
        try reader.close()

        let writer = try FileHandle(forWritingTo: file)
        #expect(OpenFileWriters.isOpenForWriting(file.path))
        try FileManager.default.moveItem(at: file, to: renamed)
        #expect(OpenFileWriters.isOpenForWriting(renamed.path), "the same file under its new name")
        try writer.close()
        #expect(!OpenFileWriters.isOpenForWriting(renamed.path))

        let updater = try FileHandle(forUpdating: renamed)
        #expect(OpenFileWriters.isOpenForWriting(renamed.path), "read and write")
        try updater.close()
        #expect(!OpenFileWriters.isOpenForWriting(renamed.path))
        #expect(!OpenFileWriters.isOpenForWriting(file.path), "no longer there")
    }
}
