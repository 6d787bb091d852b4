import Foundation
import NIOPosix

/// Blobs as files in one folder, each written atomically (a reader never sees half a file) on the NIO thread pool.
public struct DirectoryBlobStore: BlobStore {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func url(_ name: String) throws -> URL {
        try BlobStoreError.check(name)
        return directory.appendingPathComponent(name)
    }

    public func put(_ bytes: [UInt8], name: String) async throws {
        let url = try url(name)
        try await NIOThreadPool.singleton.runIfActive {
            // A concurrent put of the same name writes the same bytes: harmless either way.
            if !FileManager.default.fileExists(atPath: url.path) { try Data(bytes).write(to: url, options: .atomic) }
        }
    }

    public func get(_ name: String) async throws -> [UInt8]? {
        let url = try url(name)
        return try await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: url.path).map(Array.init) }
    }

    public func contains(_ name: String) async throws -> Bool {
        let url = try url(name)
        return try await NIOThreadPool.singleton.runIfActive { FileManager.default.fileExists(atPath: url.path) }
    }

    @discardableResult
    public func remove(_ names: Set<String>) async throws -> Int {
        let urls = try names.map(url)
        return try await NIOThreadPool.singleton.runIfActive {
            urls.reduce(0) { removed, url in removed + ((try? FileManager.default.removeItem(at: url)) != nil ? 1 : 0) }
        }
    }
}
