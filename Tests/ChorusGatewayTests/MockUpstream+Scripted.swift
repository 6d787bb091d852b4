import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Chat answers the Ollama tests need beyond plain text: a tool call (streamed in fragments, as OpenAI does, or
/// whole), and a stream that breaks after two events.
extension MockUpstream {
    /// The tool call every `tool-caller` answer makes.
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
