import ChorusWire

extension RealtimeUsage {
    /// The tokens of one upstream `response.done` event (`response.usage`: input and output token details, text
    /// and audio); nil for any other frame. Only frames that name the event are parsed, so the relay does not
    /// parse every audio delta.
    static func fromResponseDone(_ text: String) -> RealtimeUsage? {
        guard text.contains("response.done"), let event = try? JSONParser.parse(Array(text.utf8)),
              event["type"]?.stringValue == "response.done", let usage = event["response"]?["usage"] else { return nil }
        var result = RealtimeUsage()
        let input = usage["input_token_details"]
        let output = usage["output_token_details"]
        result.inputAudioTokens = input?["audio_tokens"]?.intValue ?? 0
        result.outputAudioTokens = output?["audio_tokens"]?.intValue ?? 0
        // A provider that gives only totals: what is not audio counts as text.
        result.inputTextTokens = input?["text_tokens"]?.intValue
            ?? max(0, (usage["input_tokens"]?.intValue ?? 0) - result.inputAudioTokens)
        result.outputTextTokens = output?["text_tokens"]?.intValue
            ?? max(0, (usage["output_tokens"]?.intValue ?? 0) - result.outputAudioTokens)
        return result
    }
}
