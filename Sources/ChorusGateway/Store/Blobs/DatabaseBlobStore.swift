/// Blobs in the storage's `blobs` table, one bucket of it.
public struct DatabaseBlobStore: BlobStore {
    let storage: any GatewayStorage
    let bucket: BlobBucket

    public init(storage: any GatewayStorage, bucket: BlobBucket) {
        self.storage = storage
        self.bucket = bucket
    }

    public func put(_ bytes: [UInt8], name: String) async throws {
        try BlobStoreError.check(name)
        try await storage.putBlob(bytes, bucket: bucket, name: name)
    }

    public func get(_ name: String) async throws -> [UInt8]? {
        try BlobStoreError.check(name)
        return try await storage.blob(bucket: bucket, name: name)
    }

    public func contains(_ name: String) async throws -> Bool {
        try BlobStoreError.check(name)
        return try await storage.hasBlob(bucket: bucket, name: name)
    }

    @discardableResult
    public func remove(_ names: Set<String>) async throws -> Int {
        for name in names { try BlobStoreError.check(name) }
        return try await storage.deleteBlobs(bucket: bucket, names: names)
    }
}
