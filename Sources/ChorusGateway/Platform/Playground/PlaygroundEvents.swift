import ChorusWire
import NIOCore

/// The two events a playground stream ends with, for a UI to show what the call took and cost:
/// `event: chorus.timing` `{"ttfb_ms", "total_ms"}` and `event: chorus.usage` `{"prompt_tokens", "completion_tokens",
/// "total_tokens", "characters", "audio_seconds", "images", "cost"}` (null where the call counts none).
/// They are Chorus's own, so they appear only under `/api/playground`: an OpenAI client on `/v1` would not know them.
enum PlaygroundEvents {
    static func frames(_ snapshot: RequestTrace.Snapshot) -> ByteBuffer {
        var buffer = ByteBuffer()
        SSE.write(timing(snapshot), name: "chorus.timing", into: &buffer)
        SSE.write(usage(snapshot), name: "chorus.usage", into: &buffer)
        return buffer
    }

    static func timing(_ snapshot: RequestTrace.Snapshot) -> JSONValue {
        ["ttfb_ms": snapshot.ttfbMs.map { .number(rounded($0)) } ?? .null, "total_ms": .number(rounded(snapshot.elapsedMs))]
    }

    static func usage(_ snapshot: RequestTrace.Snapshot) -> JSONValue {
        let record = snapshot.record
        func number(_ value: Int?) -> JSONValue { value.map { .number($0) } ?? .null }
        return .object([
            ("prompt_tokens", number(record.promptTokens)),
            ("completion_tokens", number(record.completionTokens)),
            ("total_tokens", number(record.totalTokens)),
            ("characters", number(record.characters)),
            ("audio_seconds", record.audioSeconds.map { .number(($0 * 1000).rounded() / 1000) } ?? .null),
            ("images", number(record.images)),
            // Points to a millionth, as the admin API shows them.
            ("cost", snapshot.cost.map { .number(($0 * 1_000_000).rounded() / 1_000_000) } ?? .null),
        ])
    }

    /// Milliseconds to a tenth.
    private static func rounded(_ ms: Double) -> Double { (ms * 10).rounded() / 10 }
}
