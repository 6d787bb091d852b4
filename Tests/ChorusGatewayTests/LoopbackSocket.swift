import Foundation

/// A loopback TCP port held for a test. Not listening, connecting to it is refused at once (a provider that is
/// down), and the port stays reserved while this lives, so no server another test starts meanwhile is given it — a
/// port merely found free and closed again once was, and the "down" provider answered as another test's gateway.
/// Listening, the port is busy (a server under test cannot bind it).
final class LoopbackSocket: Sendable {
    let port: Int
    private let fd: Int32

    init(listening: Bool) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && (!listening || listen(fd, 8) == 0) && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
