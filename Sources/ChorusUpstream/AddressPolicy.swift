/// Which resolved addresses `refusePrivateAddresses` refuses: anything that is not a public unicast address.
import CCurlShims

enum AddressPolicy {
    /// The bytes of a numeric IPv4 or IPv6 address, or nil if `text` is not one.
    static func parse(_ text: UnsafePointer<CChar>?) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let length = Int(chorus_parse_ip(text, &bytes))
        return length > 0 ? Array(bytes.prefix(length)) : nil
    }

    /// `bytes` is an IPv4 (4 bytes) or IPv6 (16 bytes) address in network order.
    static func isPrivate(_ bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: return self.isPrivateIPv4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: return self.isPrivateIPv6(bytes)
        default: return true  // unknown families are never "public"
        }
    }

    static func isPrivateIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Bool {
        switch a {
        case 0: return true                               // 0.0.0.0/8 "this network" (0.0.0.0 reaches localhost)
        case 10: return true                              // 10/8 private
        case 100 where (64...127).contains(b): return true // 100.64/10 CGNAT
        case 127: return true                             // loopback
        case 169 where b == 254: return true              // link-local (cloud metadata lives here)
        case 172 where (16...31).contains(b): return true // 172.16/12 private
        case 192 where b == 168: return true              // 192.168/16 private
        case 192 where b == 0 && c == 0: return true      // 192.0.0/24 IETF protocol assignments
        case 198 where b == 18 || b == 19: return true    // 198.18/15 benchmarking
        case 224...255: return true                       // multicast, reserved, broadcast
        default: return false
        }
    }

    static func isPrivateIPv6(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return true }
        let first10Zero = bytes[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated): judge the IPv4 inside.
        if first10Zero && bytes[10] == 0xff && bytes[11] == 0xff {
            return self.isPrivateIPv4(bytes[12], bytes[13], bytes[14], bytes[15])
        }
        if first10Zero && bytes[10] == 0 && bytes[11] == 0 {
            // :: (unspecified), ::1 (loopback) and every IPv4-compatible form.
            return true
        }
        // 64:ff9b::/96 NAT64 well-known prefix: the IPv4 address is in the last 4 bytes.
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b
            && bytes[4..<12].allSatisfy({ $0 == 0 }) {
            return self.isPrivateIPv4(bytes[12], bytes[13], bytes[14], bytes[15])
        }
        // 2002::/16 6to4: the IPv4 address is in bytes 2...5.
        if bytes[0] == 0x20 && bytes[1] == 0x02 {
            return self.isPrivateIPv4(bytes[2], bytes[3], bytes[4], bytes[5])
        }
        if bytes[0] & 0xfe == 0xfc { return true }                   // fc00::/7 unique local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true } // fe80::/10 link-local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return true } // fec0::/10 site-local (deprecated)
        if bytes[0] == 0xff { return true }                           // multicast
        return false
    }
}
