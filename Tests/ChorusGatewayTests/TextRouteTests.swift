import ChorusGateway
import ChorusUpstream
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct TextRouteTests {
    /// A model named as its provider names it, and no defaults: nothing to rewrite, so the caller's bytes go upstream.
    static func passThroughConfig(upstreamPort port: Int) -> GatewayConfig {
        var config = testConfig(upstreamPort: port)
        config.providers[0].defaults = [:]
        config.models.append(ModelConfig(name: "upstream-model", provider: "mock", model: "upstream-model"))
        return config
    }

    @Test func chatCompletionPassesUpstreamBodyAndStatusThrough() async throws {
        try await withGateway { client, gateway, mock in
            let body = #"{"model":"gpt-test","messages":[{"role":"user","content":"Say hello"}]}"#
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == MockUpstream.chatJSON(model: "upstream-model"))
            #expect(response.headers[HTTPField.Name("x-upstream")!] == "mock")
            #expect(response.headers[HTTPField.Name("x-request-id")!]?.hasPrefix("req_") == true)

            let rows = try await logRows(gateway)
            let row = try #require(rows.first)
            #expect(row.route == "/chat/completions")
            #expect(row.status == 200)
            #expect(row.model == "gpt-test")
            #expect(row.provider == "mock")
            #expect(row.promptTokens == 11 && row.completionTokens == 3 && row.totalTokens == 14)
            #expect(row.promptSummary == "Say hello")
            #expect(row.bytesIn == body.utf8.count)
            #expect(row.bytesOut == MockUpstream.chatJSON(model: "upstream-model").utf8.count)
            #expect(row.ttfbMs != nil)
            #expect(row.error == nil)
        }
    }

    @Test func adapterRewritesModelMergesDefaultsAndUsesProviderKey() async throws {
        try await withGateway { client, _, mock in
            let body = #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"temperature":0.9,"n":1}"#
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: body))
            let received = try #require(mock.lastReceived)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
            #expect(json["model"] as? String == "upstream-model")
            #expect(json["temperature"] as? Double == 0.9, "the request wins over model defaults")
            #expect(json["user"] as? String == "chorus", "provider defaults fill what is missing")
            #expect(received.headers[.authorization] == "Bearer sk-upstream-secret")
            #expect(received.headers[HTTPField.Name("X-Provider-Header")!] == "yes")
        }
    }

    @Test func requestWithoutRewritesIsForwardedByteForByte() async throws {
        try await withGateway(config: { Self.passThroughConfig(upstreamPort: $0) }) { client, _, mock in
            let body = "{ \"model\" : \"upstream-model\", \"messages\": [{\"role\":\"user\",\"content\":\"x\"}], \"top_p\": 1.00 }"
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: body))
            #expect(mock.lastReceived?.body == body)
        }
    }

    @Test func streamedChatBytesEqualUpstreamBytesAndArriveBeforeUpstreamFinishes() async throws {
        let mock = MockUpstream(sseChunks: 6, sseInterval: .milliseconds(100))
        try await withGateway(mock: mock) { client, gateway, mock in
            let http = try UpstreamClient()
            let port = try #require(client.port)
            let started = ContinuousClock.now
            let response = try await http.execute(UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
                headers: [("Authorization", "Bearer \(masterKey)"), ("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(string: #"{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"count"}]}"#))))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream")
            var received: [UInt8] = []
            var firstChunkAt: ContinuousClock.Instant?
            for try await chunk in response.body {
                if firstChunkAt == nil { firstChunkAt = .now }
                received.append(contentsOf: chunk.readableBytesView)
            }
            let expected = mock.sseEvents(model: "upstream-model").joined()
            #expect(String(decoding: received, as: UTF8.self) == expected)
            // The mock takes 8 × 100 ms; the first chunk must reach the client before the upstream is done.
            let first = try #require(firstChunkAt)
            let upstreamDone = try #require(mock.streamFinishedAt)
            #expect(first < upstreamDone, "first chunk at \(first - started), upstream done at \(upstreamDone - started)")
            await http.shutdown()

            let row = try #require(try await logRows(gateway).first)
            #expect(row.stream)
            #expect(row.totalTokens == 13, "usage comes from the final usage chunk of the stream")
            #expect(row.bytesOut == expected.utf8.count)
        }
    }

    /// The stream has ~10 s left when the client hangs up; the upstream must close long before that. (A 1 s bound
    /// here failed at 1.08 s on a loaded CI machine: the guarantee is "at once, not at the end", which this checks.)
    @Test func clientHangingUpMidStreamClosesUpstreamLongBeforeTheStreamEnds() async throws {
        let mock = MockUpstream(sseChunks: 200, sseInterval: .milliseconds(50))
        try await withGateway(mock: mock) { client, gateway, mock in
            let http = try UpstreamClient()
            let port = try #require(client.port)
            let response = try await http.execute(UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
                headers: [("Authorization", "Bearer \(masterKey)"), ("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(string: #"{"model":"gpt-test","stream":true,"messages":[]}"#))))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            response.body.cancel()
            let hungUpAt = ContinuousClock.now
            var closedAt: ContinuousClock.Instant?
            for _ in 0..<100 {
                if let at = mock.streamClosedAt { closedAt = at; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let closed = try #require(closedAt, "the upstream stream was never closed")
            #expect(closed - hungUpAt < .seconds(3))
            #expect(mock.streamsFinished == 0)
            await http.shutdown()
            #expect(gateway.services.upstream.activeTransfers == 0)

            let row = try #require(try await logRows(gateway).first)
            #expect(row.error?.contains("client closed") == true)
        }
    }

    @Test func completionsAndEmbeddingsAreProxied() async throws {
        try await withGateway { client, gateway, _ in
            let completion = try await client.execute(uri: "/v1/completions", method: .post, headers: bearer(masterKey),
                                                       body: ByteBuffer(string: #"{"model":"gpt-test","prompt":"Hello"}"#))
            #expect(completion.status == .ok)
            #expect(String(buffer: completion.body).contains("text_completion"))
            let embedding = try await client.execute(uri: "/v1/embeddings", method: .post, headers: bearer(masterKey),
                                                      body: ByteBuffer(string: #"{"model":"gpt-test","input":"some text"}"#))
            #expect(embedding.status == .ok)
            #expect(String(buffer: embedding.body).contains("\"embedding\""))
            let rows = try await logRows(gateway, atLeast: 2)
            #expect(Set(rows.map(\.route)) == ["/completions", "/embeddings"])
            #expect(rows.first { $0.route == "/embeddings" }?.promptSummary == "some text")
            #expect(rows.first { $0.route == "/embeddings" }?.promptTokens == 4)
        }
    }

    /// A pass-through body is not parsed whole (TextRequestBody): the row's summary comes from the members read on
    /// their own — the last message from the user even when others follow it, the first entry of a list.
    @Test func rowsSummarizeThePromptOfBodiesThatAreNotParsedWhole() async throws {
        try await withGateway(config: { Self.passThroughConfig(upstreamPort: $0) }) { client, gateway, mock in
            let chat = #"{"model":"upstream-model","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"first"},"#
                + #"{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"café part"},"#
                + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},{"role":"assistant","content":"a"}]}"#
            let completion = #"{"model":"upstream-model","prompt":["one prompt","another"]}"#
            let embedding = #"{"model":"upstream-model","input":["first text",{"not":"read"}]}"#
            for (path, body) in [("chat/completions", chat), ("completions", completion), ("embeddings", embedding)] {
                let response = try await client.execute(uri: "/v1/\(path)", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: body))
                #expect(response.status == .ok)
                #expect(mock.lastReceived?.body == body, "forwarded byte for byte")
            }
            let rows = try await logRows(gateway, atLeast: 3)
            #expect(rows.first { $0.route == "/chat/completions" }?.promptSummary == "café part")
            #expect(rows.first { $0.route == "/completions" }?.promptSummary == "one prompt")
            #expect(rows.first { $0.route == "/embeddings" }?.promptSummary == "first text")
        }
    }

    /// What the one-pass check leaves to the parser still gets the parser's answer: a duplicate key deep inside
    /// is a 400 naming it and nothing goes upstream; a key written with an escape is the key it spells.
    @Test func bodiesTheScanCannotVouchForGetTheParsersAnswer() async throws {
        try await withGateway { client, gateway, mock in
            let duplicate = #"{"model":"gpt-test","messages":[{"role":"user","content":"a","content":"b"}]}"#
            let refused = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: duplicate))
            #expect(refused.status == .badRequest)
            #expect(try errorBody(refused).message.contains("Duplicate key 'content'"))
            #expect(mock.received.isEmpty)
            let invalidUTF8 = ByteBuffer(bytes: Array(#"{"model":"gpt-test","messages":[{"role":"user","content":"x"#.utf8) + [0xC0, 0x80]
                + Array(#""}]}"#.utf8))
            let badText = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey), body: invalidUTF8)
            #expect(badText.status == .badRequest)
            #expect(try errorBody(badText).code == "invalid_json")
            #expect(mock.received.isEmpty)
            let escaped = #"{"mod\u0065l":"gpt-test","messages":[{"role":"user","content":"escaped"}]}"#
            let answered = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: escaped))
            #expect(answered.status == .ok)
            let row = try #require(try await logRows(gateway, atLeast: 3).first { $0.status == 200 })
            #expect(row.model == "gpt-test" && row.promptSummary == "escaped")
        }
    }

    /// Small JSON routes (models, voices) answer whole, like rendered transcripts: their rows get a time to first
    /// byte too, so the column is never empty for a successful request.
    @Test func modelListRowsHaveATimeToFirstByte() async throws {
        try await withGateway { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
            #expect(response.status == .ok)
            let row = try #require(try await logRows(gateway).first { $0.route == "/models" })
            let ttfb = try #require(row.ttfbMs, "ttfb_ms is empty")
            #expect(ttfb <= row.latencyMs)
        }
    }

    @Test func apiV1PrefixServesTheSameSurface() async throws {
        try await withGateway { client, _, _ in
            let response = try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"gpt-alias","messages":[]}"#))
            #expect(response.status == .ok)
            let models = try await client.execute(uri: "/api/v1/models", method: .get, headers: bearer(masterKey))
            #expect(models.status == .ok)
        }
    }

    @Test func upstreamErrorPassesThroughWithStatusAndBody() async throws {
        try await withGateway { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"fail","messages":[]}"#))
            #expect(response.status == .tooManyRequests)
            #expect(try errorBody(response).message == "Upstream says slow down")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 429)
            #expect(row.error?.contains("Upstream says slow down") == true)
        }
    }

    /// A non-streamed answer is read whole before it is passed on, so an upstream that drops the connection
    /// mid-body is a clean 502 in OpenAI's shape instead of a 200 whose JSON stops halfway.
    @Test func answerCutShortByTheUpstreamIs502NotATruncated200() async throws {
        try await withGateway { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"cut","messages":[]}"#))
            #expect(response.status == .badGateway)
            #expect(try errorBody(response).code == "upstream_error")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 502)
            #expect(row.error?.contains("could not be read") == true)
            #expect(gateway.services.upstream.activeTransfers == 0)
        }
    }

    @Test func unreachableUpstreamIs502WithARow() async throws {
        try await withGateway(config: { _ in
            var config = testConfig(upstreamPort: 1)  // nothing listens on port 1
            config.providers[0].connectTimeout = 1
            return config
        }) { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"gpt-test","messages":[]}"#))
            #expect(response.status == .badGateway)
            #expect(try errorBody(response).code == "upstream_unreachable")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 502)
            #expect(row.error?.contains("Could not reach provider 'mock'") == true)
        }
    }

    @Test func hangingUpstreamIs504AfterTheProviderTimeout() async throws {
        try await withGateway(config: { testConfig(upstreamPort: $0, timeout: 1) }) { client, gateway, _ in
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"hang","messages":[]}"#))
            #expect(response.status == .gatewayTimeout)
            // Loose on purpose: in a whole-suite run on 2 cores the answer reached this client up to ~6 s after a
            // 1 s timeout although the provider's connection was closed on time (StreamTimeoutTests bounds that to
            // timeout + 1 s). What this test guards is that the wait ends at all, long before the mock's 30 s.
            #expect(ContinuousClock.now - started < .seconds(12))
            #expect(try errorBody(response).code == "upstream_timeout")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 504)
            #expect(gateway.services.upstream.activeTransfers == 0)
        }
    }

    @Test(arguments: [
        ("{\"model\": \"gpt-test\",", "invalid_json"),
        ("[1,2,3]", nil),
        ("{\"model\": 42}", "invalid_value"),
        ("{\"messages\": []}", "missing_required_parameter"),
        ("", "invalid_json"),
        (String(repeating: "[", count: 5000), "invalid_json"),
    ])
    func malformedBodiesAre400WithAReadableMessage(body: String, code: String?) async throws {
        try await withGateway { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let error = try errorBody(response)
            #expect(error.type == "invalid_request_error")
            #expect(!error.message.isEmpty)
            #expect(error.code == code)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 400)
        }
    }

    @Test func unknownModelIs404ModelNotFound() async throws {
        try await withGateway { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"nope","messages":[]}"#))
            #expect(response.status == .notFound)
            let error = try errorBody(response)
            #expect(error.code == "model_not_found")
            #expect(error.param == "model")
            #expect(try await logRows(gateway).first?.status == 404)
        }
    }

    @Test func modelWithoutTheCapabilityIs501CapabilityNotSupported() async throws {
        try await withGateway { client, _, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"local-tts","messages":[]}"#))
            #expect(response.status == .notImplemented)
            let error = try errorBody(response)
            #expect(error.param == "model")
            #expect(error.type == "not_implemented_error")
            #expect(error.code == "capability_not_supported")
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.server.maxBodyMB = 1
            return config
        }) { client, _, _ in
            let big = #"{"model":"gpt-test","messages":[{"role":"user","content":""# + String(repeating: "a", count: 2 << 20) + #""}]}"#
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: big))
            #expect(response.status == .contentTooLarge)
            #expect(try errorBody(response).code == "payload_too_large")
        }
    }

    @Test func unknownRouteAnswersInOpenAIErrorShape() async throws {
        try await withGateway { client, _, _ in
            let response = try await client.execute(uri: "/v1/nothing/here", method: .get, headers: bearer(masterKey))
            #expect(response.status == .notFound)
            #expect(try errorBody(response).message.contains("/v1/nothing/here"))
        }
    }

    @Test func healthAndMetricsAnswer() async throws {
        try await withGateway { client, _, _ in
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                         body: ByteBuffer(string: #"{"model":"gpt-test","messages":[]}"#))
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"chorus_requests_total{route="/chat/completions",status="200"} 1"#))
            #expect(metrics.contains("chorus_request_duration_seconds_bucket"))
        }
    }
}
