import Testing

@testable import ChorusUpstream

@Suite("AddressPolicy")
struct AddressPolicyTests {
    private func ip(_ text: String) -> [UInt8] {
        text.withCString { AddressPolicy.parse($0) } ?? []
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                      "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1",
                      "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1",
                      "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "2002:c0a8:0101::1", "ff02::1"])
    func privateAddressesAreRefused(address: String) {
        let bytes = self.ip(address)
        #expect(!bytes.isEmpty)
        #expect(AddressPolicy.isPrivate(bytes), "\(address)")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700::1111",
                      "::ffff:8.8.8.8", "2a00:1450:4001::200e", "64:ff9b::808:808"])
    func publicAddressesAreAllowed(address: String) {
        let bytes = self.ip(address)
        #expect(!bytes.isEmpty)
        #expect(!AddressPolicy.isPrivate(bytes), "\(address)")
    }

    @Test func unknownFamiliesAreRefused() {
        #expect(AddressPolicy.isPrivate([]))
        #expect(AddressPolicy.isPrivate([1, 2, 3]))
    }
}
