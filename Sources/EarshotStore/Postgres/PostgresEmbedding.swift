import Foundation
import NIOCore

/// Voice embeddings as `bytea` (postgres-nio sends `[UInt8]` as `char[]`; a `ByteBuffer` is `bytea`).
enum PostgresEmbedding {
    static func buffer(_ values: [Float]) -> ByteBuffer { ByteBuffer(bytes: EmbeddingColumn.data(values)) }
    static func floats(_ buffer: ByteBuffer) -> [Float] { EmbeddingColumn.floats(Data(buffer.readableBytesView)) }
}
