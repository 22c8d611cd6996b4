import EarshotCore
import Foundation
import Testing

@Suite struct SHA256Tests {
    private func hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    @Test func emptyInput() {
        #expect(SHA256Hasher().finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage() {
        // 56 bytes: the length no longer fits in the first block, so padding spills into a second.
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(hex(message) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func fourBlockMessage() {
        let message = Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)
        #expect(hex(message) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionAsInOddChunks() {
        let all = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256Hasher()
        var offset = 0
        // Chunk sizes that straddle block boundaries in every way: tiny, just under/over a block, large.
        let sizes = [1, 63, 65, 7, 128, 3, 4097, 64, 0, 10_007]
        var index = 0
        while offset < all.count {
            let size = min(sizes[index % sizes.count], all.count - offset)
            all[offset..<offset + size].withUnsafeBytes { hasher.update($0) }
            offset += size
            index += 1
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func dataAndArrayAndPointerAgree() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var viaArray = SHA256Hasher()
        viaArray.update(bytes)
        var viaData = SHA256Hasher()
        viaData.update(Data(bytes))
        var viaPointer = SHA256Hasher()
        bytes.withUnsafeBytes { viaPointer.update($0) }
        #expect(viaArray.finalizeHex() == viaData.finalizeHex())
        #expect(viaArray.finalizeHex() == viaPointer.finalizeHex())
    }

    @Test func finalizeDoesNotConsumeTheHasher() {
        var hasher = SHA256Hasher()
        hasher.update(Array("ab".utf8))
        #expect(hasher.finalizeHex() == hex(Array("ab".utf8)))
        #expect(hasher.finalizeHex() == hex(Array("ab".utf8)))
        hasher.update(Array("c".utf8))
        #expect(hasher.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hasher.finalize().count == 32)
    }

    @Test(arguments: [55, 56, 63, 64, 65, 119, 120, 127, 128])
    func lengthsAroundPaddingBoundaries(length: Int) {
        // Splitting the same bytes differently must never change the digest.
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        var split = SHA256Hasher()
        for byte in bytes { split.update([byte]) }
        #expect(split.finalizeHex() == hex(bytes))
    }
}

@Suite("HMAC-SHA256")
struct HMACTests {
    @Test("RFC 4231 test vectors")
    func vectors() {
        // Test case 2: key "Jefe".
        #expect(HMACSHA256.hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block size is hashed first.
        #expect(HMACSHA256.hex(
            key: [UInt8](repeating: 0xaa, count: 131),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        ) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
