@testable import ChorusGateway
import Testing

@Suite struct HexTests {
    @Test func encodesEveryByteAsTwoLowerCaseDigits() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func keyHashIsTheSHA256HexOfTheKey() {
        // SHA-256("abc"), FIPS 180-2 example.
        #expect(APIKeyHasher.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func randomIdsHaveTheAskedNumberOfHexDigitsAndDiffer() {
        let ids = (0..<100).map { _ in Hex.random(digits: 24) }
        #expect(ids.allSatisfy { $0.count == 24 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
        #expect(Set(ids).count == 100)
    }
}
