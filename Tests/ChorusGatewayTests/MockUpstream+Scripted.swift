import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Chat answers the Ollama tests need beyond plain text: a tool call (streamed in fragments, as OpenAI does, or
/// whole), and a stream that breaks after two events.
extension MockUpstream {
    /// The tool call every `tool-caller` answer makes.
    /// What the `speaker` chat model always answers: two clauses the embedded recogniser hears well.
    static let spokenAnswer = "Please turn off the lights in the kitchen. The quick brown fox jumps over the lazy dog."

    static let toolCallArguments = #"{"city":"Paris","days":2}"#

    func scriptedChat(model: String, stream: Bool) -> Response? {
        switch (model, stream) {
        case ("tool-caller", false):
            let answer = #"{"id":"chatcmpl-t","object":"chat.completion","model":"tool-caller","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":2}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
        case ("tool-caller", true):
            let events = [
                #"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
                #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}"#,
                #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\",\"days\":2}"}}]}}]}"#,
                #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
                #"{"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}}"#,
                "[DONE]",
            ]
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init { writer in
                for event in events { try await writer.write(ByteBuffer(string: "data: \(event)\n\n")) }
                try await writer.finish(nil)
            })
        case ("speaker", true), ("slow-speaker", true):
            // A realtime engine's chat model: its answer in small pieces, as a model streams; `slow-speaker` goes
            // on for a minute so a test can cancel it halfway.
            let slow = model == "slow-speaker"
            let text = slow ? String(repeating: Self.spokenAnswer + " ", count: 40) : Self.spokenAnswer
            var pieces: [String] = []
            var rest = Substring(text)
            while !rest.isEmpty {
                pieces.append(String(rest.prefix(7)))
                rest = rest.dropFirst(7)
            }
            let interval: Duration = slow ? .milliseconds(100) : .milliseconds(5)
            let chunks = pieces
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init { writer in
                for piece in chunks {
                    let delta = String(decoding: try JSONSerialization.data(withJSONObject: ["content": piece]), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: #"data: {"choices":[{"index":0,"delta":\#(delta)}]}"# + "\n\n"))
                    try await Task.sleep(for: interval)
                }
                try await writer.write(ByteBuffer(string: #"data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":\#(chunks.count),"total_tokens":\#(12 + chunks.count)}}"# + "\n\ndata: [DONE]\n\n"))
                try await writer.finish(nil)
            })
        case ("stream-break", true):
            let events = sseEvents(model: model).prefix(2)
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init { writer in
                for event in events {
                    try await writer.write(ByteBuffer(string: event))
                    try await Task.sleep(for: .milliseconds(50))
                }
                // The provider's connection drops without ending the chunked body.
                throw CancellationError()
            })
        default:
            return nil
        }
    }
}
