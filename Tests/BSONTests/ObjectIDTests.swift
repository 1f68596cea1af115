import BSON
import Foundation
import Testing

@Suite("BSONObjectID")
struct ObjectIDTests {
    @Test func hexRoundTrip() throws {
        let id = try #require(BSONObjectID(hex: "507f1f77bcf86cd799439011"))
        #expect(id.hex == "507f1f77bcf86cd799439011")
        #expect(id.description == id.hex)
        #expect(id.bytes == [0x50, 0x7F, 0x1F, 0x77, 0xBC, 0xF8, 0x6C, 0xD7, 0x99, 0x43, 0x90, 0x11])
        #expect(BSONObjectID(hex: "507F1F77BCF86CD799439011") == id)
    }

    @Test("invalid hex is rejected", arguments: [
        "", "507f1f77bcf86cd79943901", "507f1f77bcf86cd7994390111", "507f1f77bcf86cd79943901g",
        "507f1f77bcf86cd79943901 ", "ｆ07f1f77bcf86cd79943901", "0x7f1f77bcf86cd799439011",
    ])
    func rejectsInvalidHex(hex: String) {
        #expect(BSONObjectID(hex: hex) == nil)
    }

    @Test func rawBytes() {
        #expect(BSONObjectID(bytes: Array(repeating: 1, count: 12))?.hex == "010101010101010101010101")
        #expect(BSONObjectID(bytes: [1, 2, 3]) == nil)
    }

    @Test func generatedIDsAreUniqueAndCurrent() {
        let ids = (0..<10_000).map { _ in BSONObjectID() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.bytes.count == 12 })
        #expect(abs(ids[0].timestamp.timeIntervalSinceNow) < 60)
        #expect(ids.allSatisfy { $0.bytes[4..<9] == ids[0].bytes[4..<9] })
    }

    @Test func generationIsThreadSafe() async {
        let ids = await withTaskGroup(of: [BSONObjectID].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<1_000).map { _ in BSONObjectID() } }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 8_000)
    }

    @Test func jsonCodableUsesHex() throws {
        let id = try #require(BSONObjectID(hex: "507f1f77bcf86cd799439011"))
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == #"["507f1f77bcf86cd799439011"]"#)
        #expect(try JSONDecoder().decode([BSONObjectID].self, from: json) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([BSONObjectID].self, from: Data(#"["nope"]"#.utf8))
        }
    }
}
