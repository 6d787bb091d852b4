import Crypto
import Foundation

/// The console's files (HTML, CSS, ES modules, icons), read once from the `Assets` resource folder that SwiftPM
/// copies next to the executable (`Chorus_ChorusGateway.resources/Assets`). Only files found there are served,
/// by exact name, so no request path can reach outside the folder.
///
/// `CHORUS_CONSOLE_DIR` names another folder read on every request instead: for working on the console without
/// rebuilding the binary.
struct ConsoleAssets: Sendable {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
        /// A strong validator of the bytes, for `ETag` / `If-None-Match`.
        let etag: String
    }

    private enum AssetOrigin: Sendable {
        case loaded([String: Asset])
        case live(URL)
    }

    private let origin: AssetOrigin

    /// The largest file served; the console's own files are a few tens of KB.
    static let maxFileBytes = 4 << 20

    init(environment: [String: String]) {
        if let dir = environment["CHORUS_CONSOLE_DIR"], !dir.isEmpty {
            origin = .live(URL(fileURLWithPath: dir, isDirectory: true))
        } else {
            origin = .loaded(Self.files(in: Self.bundledFolder()))
        }
    }

    /// Tests give the folder directly.
    init(folder: URL) {
        origin = .loaded(Self.files(in: folder))
    }

    /// The file at `name` (a path relative to the folder, `/`-separated), or nil.
    func file(_ name: String) -> Asset? {
        switch origin {
        case .loaded(let files): files[name]
        case .live(let folder): Self.files(in: folder)[name]
        }
    }

    var isEmpty: Bool {
        switch origin {
        case .loaded(let files): files.isEmpty
        case .live: false
        }
    }

    /// `<executable's folder>/Chorus_ChorusGateway.resources/Assets` (the test runner's folder under `swift test`).
    /// SwiftPM's generated `Bundle.module` would stop the process when the folder is missing (a binary copied
    /// without its resources); a console that is not there is answered 404 instead.
    static func bundledFolder() -> URL? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [executable.deletingLastPathComponent(), Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        for base in candidates {
            let folder = base.appendingPathComponent("Chorus_ChorusGateway.resources/Assets", isDirectory: true)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue { return folder }
        }
        return nil
    }

    /// Every regular file under `folder`, by relative path; hidden files and anything larger than `maxFileBytes`
    /// are left out.
    static func files(in folder: URL?) -> [String: Asset] {
        guard let folder = folder?.standardizedFileURL,
              let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                                                          options: [.skipsHiddenFiles]) else { return [:] }
        let root = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        var files: [String: Asset] = [:]
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]), values.isRegularFile == true,
                  (values.fileSize ?? 0) <= maxFileBytes else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(root), let data = FileManager.default.contents(atPath: path) else { continue }
            let name = String(path.dropFirst(root.count))
            let bytes = [UInt8](data)
            files[name] = Asset(bytes: bytes, contentType: contentType(of: name), etag: "\"\(Hex.encode(SHA256.hash(data: bytes)).prefix(32))\"")
        }
        return files
    }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "txt": "text/plain; charset=utf-8"
        case "wav": "audio/wav"
        default: "application/octet-stream"
        }
    }
}
