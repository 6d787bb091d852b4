import Foundation

/// The bucket's store: the database's `blobs` table, or the folder.
public func openBlobStore(_ bucket: BlobBucket, inDatabase: Bool, directory: URL, storage: any GatewayStorage) throws -> any BlobStore {
    inDatabase ? DatabaseBlobStore(storage: storage, bucket: bucket) : try DirectoryBlobStore(directory: directory)
}
