@testable import ChorusGateway
import ChorusMedia
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat

let masterKey = "sk-chorus-test-master-key"

/// A config pointing at the mock upstream on `port`, with a fresh SQLite file.
extension GatewayConfig {
    /// Prices `model` at `perRequest` points a call (nothing else priced).
    mutating func price(_ model: String, perRequest: Double) {
        guard let index = models.firstIndex(where: { $0.name == model }) else { return }
        var price = ModelPrice()
        price.perRequest = perRequest
        models[index].price = price
    }
}

func testConfig(upstreamPort: Int, timeout: Double = 60) -> GatewayConfig {
    var config = GatewayConfig()
    config.database = StorageBackend.suite.freshDatabase()
    config.server.keyCacheSeconds = 0
    var provider = ProviderConfig(name: "mock", type: .openai)
    provider.baseURL = "http://127.0.0.1:\(upstreamPort)/v1"
    provider.apiKey = "sk-upstream-secret"
    provider.headers = [("X-Provider-Header", "yes")]
    provider.timeout = timeout
    provider.connectTimeout = 2
    provider.defaults = ["user": "chorus"]
    config.providers = [provider, ProviderConfig(name: "local", type: .builtin)]
    config.models = [
        ModelConfig(name: "gpt-test", provider: "mock", model: "upstream-model", defaults: ["temperature": .number("0.5")]),
        ModelConfig(name: "gpt-alias", provider: "mock", model: "upstream-model"),
        ModelConfig(name: "hang", provider: "mock", model: "hang"),
        ModelConfig(name: "fail", provider: "mock", model: "fail"),
        ModelConfig(name: "cut", provider: "mock", model: "cut"),
        ModelConfig(name: "html", provider: "mock", model: "html"),
        ModelConfig(name: "local-tts", provider: "local", model: "espeak"),
        ModelConfig(name: "wav-tts", provider: "wavonly", model: "upstream-tts"),
        ModelConfig(name: "clone-tts", provider: "cloner", model: "upstream-clone"),
        ModelConfig(name: "local-stt", provider: "local", model: "pocketsphinx"),
        ModelConfig(name: "pcm-tts", provider: "pcmonly", model: "upstream-pcm"),
        ModelConfig(name: "verbose-stt", provider: "verbose", model: "upstream-stt"),
        ModelConfig(name: "text-stt", provider: "textonly", model: "text-only"),
        ModelConfig(name: "garbage-stt", provider: "textonly", model: "garbage"),
        ModelConfig(name: "diarize-stt", provider: "wavonly", model: "gpt-4o-transcribe-diarize"),
        ModelConfig(name: "translator-chat", provider: "mock", model: "translator"),
        ModelConfig(name: "wav16k-stt", provider: "wav16k", model: "upstream-stt"),
    ]
    var wavOnly = ProviderConfig(name: "wavonly", type: .openai)
    wavOnly.baseURL = "http://127.0.0.1:\(upstreamPort)/v1"
    wavOnly.speechFormats = [.wav]
    wavOnly.timeout = timeout
    var cloner = wavOnly
    cloner.name = "cloner"
    cloner.voiceCloning = .audioSample
    var verbose = wavOnly
    verbose.name = "verbose"
    verbose.transcriptionFormats = [.json, .verboseJSON]
    var wav16k = verbose
    wav16k.name = "wav16k"
    wav16k.transcriptionInput = .wav16k
    var pcmOnly = wavOnly
    pcmOnly.name = "pcmonly"
    pcmOnly.speechFormats = [.pcm]
    // Says it renders every format; its `text-only` model answers JSON text whatever is asked.
    var textOnly = wavOnly
    textOnly.name = "textonly"
    textOnly.transcriptionFormats = TranscriptFormat.allCases
    config.providers += [wavOnly, cloner, verbose, wav16k, pcmOnly, textOnly]
    config.voicesDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-voices-\(UUID().uuidString)").path
    return config
}

/// Runs `body` with a live mock upstream and a live gateway in front of it; `now` is the gateway's clock for model
/// shutdown dates.
func withGateway(
    config configure: @escaping @Sendable (Int) -> GatewayConfig = { testConfig(upstreamPort: $0) },
    mock: MockUpstream = MockUpstream(),
    now: @escaping @Sendable () -> Date = { Date() },
    _ body: @Sendable (any TestClientProtocol, Gateway, MockUpstream) async throws -> Void
) async throws {
    try await mock.application.test(.live) { upstreamClient in
        let config = configure(upstreamClient.port ?? 0)
        let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: Logger(label: "test"),
                                   now: now)
        try await gateway.application.test(.live) { client in
            try await body(client, gateway, mock)
        }
        // Only the harness's own throwaway databases; a test that chose its path (restart tests) keeps it.
        if config.database.contains("chorus-test-") { try? FileManager.default.removeItem(atPath: config.database) }
    }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

/// Waits (briefly) until the batched writer has stored at least `count` rows, newest first.
/// The usage rows, newest first, once there are at least `count` (waiting up to ~5 s: a row is written when a
/// request's work has unwound, which a loaded machine can delay).
func logRows(_ gateway: Gateway, atLeast count: Int = 1) async throws -> [LogRow] {
    for _ in 0..<250 {
        await gateway.services.usageLog.flush()
        let rows = try await gateway.services.store.recentUsage(limit: 1000)
        if rows.count >= count { return rows }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await gateway.services.store.recentUsage(limit: 1000)
}

func errorBody(_ response: TestResponse) throws -> (message: String, type: String, code: String?, param: String?) {
    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
    let error = json?["error"] as? [String: Any]
    return (error?["message"] as? String ?? "", error?["type"] as? String ?? "", error?["code"] as? String, error?["param"] as? String)
}

/// ffprobe's view of an audio file: codec, sample rate, channels, duration.
struct ProbedAudio {
    var codec: String
    var sampleRate: Int
    var channels: Int
    var duration: Double
}

func ffprobe(_ bytes: [UInt8], rawPCM: Bool = false) throws -> ProbedAudio {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    // ChildProcess, not Foundation's Process: its run() crashed here once, with many descriptors open (see there).
    let probe = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error"] + (rawPCM ? ["-f", "s16le", "-ar", "24000", "-ac", "1"] : []) + [
        "-show_entries", "stream=codec_name,sample_rate,channels:format=duration", "-of", "default=noprint_wrappers=1", path,
    ])
    let output = String(decoding: probe.output, as: UTF8.self)
    var values: [String: String] = [:]
    for line in output.split(separator: "\n") {
        let pair = line.split(separator: "=", maxSplits: 1)
        if pair.count == 2, values[String(pair[0])] == nil { values[String(pair[0])] = String(pair[1]) }
    }
    var duration = Double(values["duration"] ?? "") ?? 0
    if rawPCM { duration = Double(bytes.count) / 48000 }
    return ProbedAudio(codec: values["codec_name"] ?? "", sampleRate: Int(values["sample_rate"] ?? "") ?? 0,
                       channels: Int(values["channels"] ?? "") ?? 0, duration: duration)
}
