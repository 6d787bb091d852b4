@testable import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ConsoleRouteTests {
    /// A gateway serving the console from `folder` (CHORUS_CONSOLE_DIR), with a secret file beside the folder.
    static func withConsole(_ body: @Sendable (any TestClientProtocol, Gateway) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-console-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("Assets")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("js"), withIntermediateDirectories: true)
        try Data("<!doctype html><title>Console</title>".utf8).write(to: folder.appendingPathComponent("index.html"))
        try Data("export const ok = 1;".utf8).write(to: folder.appendingPathComponent("js/app.js"))
        try Data("secret".utf8).write(to: root.appendingPathComponent("secret.txt"))
        defer { try? FileManager.default.removeItem(at: root) }
        var config = testConfig(upstreamPort: 9)
        config.server.port = 0
        let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey, "CHORUS_CONSOLE_DIR": folder.path],
                                             logger: Logger(label: "test"))
        try await gateway.application.test(.live) { client in try await body(client, gateway) }
    }

    @Test func theConsoleIsServedWithoutAKeyUnderAContentSecurityPolicy() async throws {
        try await Self.withConsole { client, gateway in
            for path in ["/ui", "/ui/", "/ui/index.html"] {
                let page = try await client.execute(uri: path, method: .get)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                let csp = try #require(page.headers[HTTPField.Name("content-security-policy")!])
                #expect(csp.contains("script-src 'self'") && csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"))
                #expect(page.headers[HTTPField.Name("x-content-type-options")!] == "nosniff")
                #expect(String(buffer: page.body).contains("<title>Console</title>"))
            }
            let script = try await client.execute(uri: "/ui/js/app.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            // The console's files write no usage rows.
            await gateway.services.usageLog.flush()
            #expect(try await gateway.services.store.recentUsage(limit: 10).isEmpty)
        }
    }

    @Test func nothingOutsideTheConsoleFolderIsReachable() async throws {
        try await Self.withConsole { client, _ in
            for path in ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/js/../../secret.txt", "/ui/missing.js", "/ui/..%2fsecret.txt"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(!String(buffer: response.body).contains("secret"))
            }
        }
    }

    @Test func anUnchangedFileIsAnsweredNotModified() async throws {
        try await Self.withConsole { client, _ in
            let first = try await client.execute(uri: "/ui/js/app.js", method: .get)
            let etag = try #require(first.headers[.eTag])
            let again = try await client.execute(uri: "/ui/js/app.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
        }
    }

    @Test func theBinarysOwnConsoleIsServed() async throws {
        let assets = ConsoleAssets(environment: [:])
        #expect(!assets.isEmpty, "the Assets resource is copied next to the test runner")
        #expect(assets.file("index.html")?.contentType == "text/html; charset=utf-8")
    }
}
