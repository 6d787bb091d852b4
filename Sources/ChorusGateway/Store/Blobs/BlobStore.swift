/// Where one bucket of blobs (voice samples, stored images) keeps its bytes: a folder of files
/// (`DirectoryBlobStore`, the default for SQLite, and the choice for a folder several replicas share) or the
/// database's `blobs` table (`DatabaseBlobStore`, the default for PostgreSQL, so every replica reads what another
/// stored without a shared filesystem).
///
/// Names are chosen by the gateway — a voice id, a content hash with its extension — and checked against
/// `isSafeName` by both implementations, so even a bug upstream of here cannot make one name a path.
public protocol BlobStore: Sendable {
    /// Stores the bytes unless the name already holds some (names are unique or content-addressed).
    func put(_ bytes: [UInt8], name: String) async throws
    /// The bytes, or nil when the name holds none.
    func get(_ name: String) async throws -> [UInt8]?
    func contains(_ name: String) async throws -> Bool
    /// Removes the names that exist and returns how many went.
    @discardableResult
    func remove(_ names: Set<String>) async throws -> Int
}

public enum BlobStoreError: Error, Equatable, CustomStringConvertible {
    case unsafeName(String)

    public var description: String {
        switch self {
        case .unsafeName(let name): "'\(name)' is not a blob name (letters, digits, '_', '-', '.'; not starting with '.')"
        }
    }
}

extension BlobStoreError {
    /// Letters, digits, `_`, `-` and `.`, 1–128 of them, not starting with a dot: never a path, never hidden.
    static func check(_ name: String) throws(BlobStoreError) {
        let utf8 = name.utf8
        let allowed = utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D || byte == 0x2E
        }
        guard allowed, (1...128).contains(utf8.count), utf8.first != 0x2E else { throw .unsafeName(name) }
    }
}
