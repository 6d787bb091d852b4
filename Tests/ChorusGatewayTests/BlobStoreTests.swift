@testable import ChorusGateway
import Foundation
import Testing

/// Both places a blob can live keep the same promises: the first bytes under a name stay, a name is never a path.
@Suite struct BlobStoreTests {
    static func withBlobs(_ backend: StorageBackend, inDatabase: Bool, _ body: (any BlobStore, URL) async throws -> Void) async throws {
        try await backend.withStore { store, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-blobs-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await body(try openBlobStore(.voices, inDatabase: inDatabase, directory: directory, storage: store), directory)
        }
    }

    @Test(arguments: StorageBackend.available, [false, true])
    func putKeepsTheFirstBytesUnderANameAndRemoveSaysHowManyWent(backend: StorageBackend, inDatabase: Bool) async throws {
        try await Self.withBlobs(backend, inDatabase: inDatabase) { blobs, _ in
            let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await blobs.put(big, name: "voice_a.wav")
            try await blobs.put([1, 2, 3], name: "voice_a.wav")
            try await blobs.put([0], name: "voice_b.wav")
            #expect(try await blobs.get("voice_a.wav") == big)
            #expect(try await blobs.get("voice_missing.wav") == nil)
            #expect(try await blobs.contains("voice_b.wav"))
            #expect(try await blobs.remove(["voice_a.wav", "voice_b.wav", "voice_missing.wav"]) == 2)
            #expect(try await blobs.contains("voice_a.wav") == false)
            #expect(try await blobs.remove([]) == 0)
        }
    }

    @Test(arguments: StorageBackend.available, [false, true])
    func aNameThatCouldBeAPathIsRefusedBeforeAnythingIsTouched(backend: StorageBackend, inDatabase: Bool) async throws {
        try await Self.withBlobs(backend, inDatabase: inDatabase) { blobs, directory in
            for name in ["../escape.wav", "a/b", ".hidden", "", "x\u{0}y", String(repeating: "a", count: 129)] {
                await #expect(throws: BlobStoreError.unsafeName(name)) { try await blobs.put([1], name: name) }
                await #expect(throws: BlobStoreError.unsafeName(name)) { try await blobs.get(name) }
            }
            #expect(!FileManager.default.fileExists(atPath: directory.deletingLastPathComponent().appendingPathComponent("escape.wav").path))
        }
    }

    @Test(arguments: StorageBackend.available)
    func theBucketsAreSeparateNamespaces(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            try await store.putBlob([7], bucket: .voices, name: "same.bin")
            #expect(try await store.blob(bucket: .media, name: "same.bin") == nil)
            try await store.putBlob([8], bucket: .media, name: "same.bin")
            #expect(try await store.blob(bucket: .voices, name: "same.bin") == [7])
            #expect(try await store.deleteBlobs(bucket: .media, names: ["same.bin"]) == 1)
            #expect(try await store.blob(bucket: .voices, name: "same.bin") == [7])
        }
    }
}
