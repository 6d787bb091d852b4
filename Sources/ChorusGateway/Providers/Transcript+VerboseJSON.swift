import ChorusEngines
import ChorusWire

extension Transcript {
    /// A transcript from an upstream's verbose_json, so Chorus can render the other formats itself.
    init?(verboseJSON json: JSONValue) {
        guard let text = json["text"]?.stringValue else { return nil }
        let segments: [TranscriptSegment] = (json["segments"]?.arrayValue ?? []).enumerated().compactMap { index, segment in
            guard let start = segment["start"]?.doubleValue, let end = segment["end"]?.doubleValue else { return nil }
            // diarized_json ids are strings ("seg_001"): numbered in order then.
            return TranscriptSegment(id: segment["id"]?.intValue ?? index, start: start, end: end,
                                     text: segment["text"]?.stringValue ?? "", words: [],
                                     speaker: segment["speaker"]?.stringValue)
        }
        let words: [TranscriptWord] = (json["words"]?.arrayValue ?? []).compactMap { word in
            guard let w = word["word"]?.stringValue, let start = word["start"]?.doubleValue, let end = word["end"]?.doubleValue else { return nil }
            return TranscriptWord(word: w, start: start, end: end)
        }
        self.init(text: text, language: json["language"]?.stringValue ?? "en", duration: json["duration"]?.doubleValue ?? segments.last?.end ?? 0,
                          segments: segments, words: words)
    }
}
