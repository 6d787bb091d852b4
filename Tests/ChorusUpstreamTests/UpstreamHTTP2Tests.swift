import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import ChorusUpstream

/// HTTP/2 to a TLS upstream, against a real one (nginx with `http2`, a certificate made for the test): the calls a
/// loop carries share one connection, multiplexed, now that each event loop drives its own curl multi handle; and
/// a certificate from a private authority is verified against the request's `caFile`, never skipped.
@Suite(.serialized) struct UpstreamHTTP2Tests {
    /// A scratch nginx serving HTTPS with HTTP/2 on 127.0.0.1, logging each request's connection and protocol.
    final class TLSServer {
        let folder: URL
        let port: Int
        let process: Process

        var url: String { "https://127.0.0.1:\(port)" }
        var certificate: String { folder.appendingPathComponent("cert.pem").path }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-h2-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                                              "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                              "-keyout", folder.appendingPathComponent("key.pem").path,
                                              "-out", folder.appendingPathComponent("cert.pem").path])
            port = try Self.freePort()
            let path = folder.path
            let config = """
                daemon off; worker_processes 1; pid \(path)/nginx.pid; error_log \(path)/error.log;
                events { worker_connections 64; }
                http {
                    client_body_temp_path \(path)/body; proxy_temp_path \(path)/proxy; fastcgi_temp_path \(path)/fastcgi;
                    uwsgi_temp_path \(path)/uwsgi; scgi_temp_path \(path)/scgi;
                    log_format calls '$connection $server_protocol $request_uri';
                    access_log \(path)/access.log calls;
                    server {
                        listen 127.0.0.1:\(port) ssl http2;
                        ssl_certificate \(path)/cert.pem; ssl_certificate_key \(path)/key.pem;
                        location / { return 200 "ok $request_uri\\n"; }
                    }
                }
                """
            try config.write(to: folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            process.arguments = ["-p", path, "-c", folder.appendingPathComponent("nginx.conf").path, "-e", "\(path)/error.log"]
            try process.run()
        }

        /// Each logged call: its connection number and protocol.
        func calls() throws -> [(connection: String, proto: String, uri: String)] {
            let text = (try? String(contentsOf: folder.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map { line in
                let fields = line.split(separator: " ").map(String.init)
                return (fields.first ?? "", fields.count > 1 ? fields[1] : "", fields.count > 2 ? fields[2] : "")
            }
        }

        func waitUntilListening() async throws {
            for _ in 0..<200 {
                if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
                    try? await channel.close()
                    return
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            Issue.record("nginx did not listen on \(port): \((try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }

        static func run(_ program: String, _ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }

        static func freePort() throws -> Int {
            let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
            defer { try? channel.close().wait() }
            return channel.localAddress?.port ?? 0
        }
    }

    static func get(_ client: UpstreamClient, _ url: String, caFile: String?) async throws -> String {
        var request = UpstreamRequest(url: url, connectTimeout: 5, timeout: 10)
        request.caFile = caFile
        let response = try await client.execute(request)
        #expect(response.status == 200)
        return String(buffer: try await response.body.collect(upTo: 1 << 16))
    }

    @Test func callsOnOneLoopShareOneMultiplexedConnectionAndEachLoopHasItsOwn() async throws {
        let server = try TLSServer()
        defer { server.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let client = try UpstreamClient(eventLoopGroup: group)
        try await server.waitUntilListening()

        let (url, certificate) = (server.url, server.certificate)
        for (index, loop) in loops.enumerated() {
            try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
                // The first call learns (ALPN) that the upstream speaks h2; the burst after it rides that connection.
                #expect(try await Self.get(client, "\(url)/loop\(index)/first", caFile: certificate) == "ok /loop\(index)/first\n")
                try await withThrowingTaskGroup(of: String.self) { tasks in
                    for call in 0..<12 {
                        tasks.addTask { try await Self.get(client, "\(url)/loop\(index)/\(call)", caFile: certificate) }
                    }
                    var answers = Set<String>()
                    for try await answer in tasks { answers.insert(answer) }
                    #expect(answers == Set((0..<12).map { "ok /loop\(index)/\($0)\n" }))
                }
            }
        }
        #expect(await eventually { client.activeTransfers == 0 })

        let calls = try server.calls()
        #expect(calls.count == 26)
        #expect(calls.allSatisfy { $0.proto == "HTTP/2.0" }, "\(calls.map(\.proto))")
        for index in loops.indices {
            let connections = Set(calls.filter { $0.uri.hasPrefix("/loop\(index)/") }.map(\.connection))
            #expect(connections.count == 1, "loop \(index)'s 13 calls used connections \(connections)")
        }
        let perLoop = loops.indices.map { index in calls.first { $0.uri.hasPrefix("/loop\(index)/") }?.connection }
        #expect(Set(perLoop).count == 2, "each loop has its own connection")
        try await group.shutdownGracefully()
    }

    @Test func aPrivateAuthorityIsTrustedOnlyThroughTheRequestsCAFile() async throws {
        let server = try TLSServer()
        defer { server.stop() }
        let client = try UpstreamClient()
        try await server.waitUntilListening()
        #expect(try await Self.get(client, "\(server.url)/trusted", caFile: server.certificate) == "ok /trusted\n")
        // The system's store does not know the test's authority: a failed verification is a failed connect (502).
        let refused = await #expect(throws: UpstreamError.self) {
            _ = try await Self.get(client, "\(server.url)/untrusted", caFile: nil)
        }
        #expect(refused?.kind == .connectFailed)
        #expect(try server.calls().map(\.uri) == ["/trusted"], "an unverified upstream got the request")
    }
}
