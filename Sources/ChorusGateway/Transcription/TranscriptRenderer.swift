import ChorusEngines
import ChorusWire
import Foundation

/// Renders a transcript in each of OpenAI's `response_format`s: json, text, srt, vtt, verbose_json, diarized_json.
/// srt and vtt cues of diarized segments carry the speaker (`A: …` in srt, a `<v A>` voice span in vtt).
enum TranscriptRenderer {
    static func render(_ transcript: Transcript, as format: TranscriptFormat, task: String, includeWords: Bool, includeSegments: Bool = true) -> [UInt8] {
        switch format {
        case .json:
            return JSONValue.object([("text", .string(transcript.text))]).serialized()
        case .text:
            return Array((transcript.text + "\n").utf8)
        case .srt:
            return Array(srt(transcript.segments).utf8)
        case .vtt:
            return Array(vtt(transcript.segments).utf8)
        case .verboseJSON:
            var members: [(String, JSONValue)] = [
                ("task", .string(task)), ("language", .string(languageName(transcript.language))),
                ("duration", .number(rounded(transcript.duration))), ("text", .string(transcript.text)),
            ]
            if includeSegments {
                members.append(("segments", .array(transcript.segments.map { segment in
                    .object([
                        ("id", .number(segment.id)), ("seek", 0), ("start", .number(rounded(segment.start))),
                        ("end", .number(rounded(segment.end))), ("text", .string(segment.text)), ("tokens", []),
                        ("temperature", .number("0.0")), ("avg_logprob", .number("0.0")),
                        ("compression_ratio", .number("1.0")), ("no_speech_prob", .number("0.0")),
                    ])
                })))
            }
            if includeWords {
                members.append(("words", .array(transcript.words.map { word in
                    .object([("word", .string(word.word)), ("start", .number(rounded(word.start))), ("end", .number(rounded(word.end)))])
                })))
            }
            return JSONValue.object(members).serialized()
        case .diarizedJSON:
            return JSONValue.object([
                ("task", .string(task)), ("duration", .number(rounded(transcript.duration))), ("text", .string(transcript.text)),
                ("segments", .array(transcript.segments.map { segment in
                    .object([
                        ("type", "transcript.text.segment"), ("id", .string("seg_\(segment.id)")),
                        ("start", .number(rounded(segment.start))), ("end", .number(rounded(segment.end))),
                        ("text", .string(segment.text)), ("speaker", segment.speaker.map(JSONValue.string) ?? .null),
                    ])
                })),
            ]).serialized()
        }
    }

    /// SRT: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, blank line between cues.
    static func srt(_ segments: [TranscriptSegment]) -> String {
        var out = ""
        for (index, segment) in segments.enumerated() {
            out += "\(index + 1)\n\(timestamp(segment.start, separator: ",")) --> \(timestamp(segment.end, separator: ","))\n"
            let text = segment.text.trimmingCharacters(in: .whitespaces)
            out += (segment.speaker.map { "\($0): \(text)" } ?? text) + "\n\n"
        }
        return out
    }

    /// WebVTT: the `WEBVTT` header, then `HH:MM:SS.mmm --> HH:MM:SS.mmm` cues.
    static func vtt(_ segments: [TranscriptSegment]) -> String {
        var out = "WEBVTT\n\n"
        for segment in segments {
            out += "\(timestamp(segment.start, separator: ".")) --> \(timestamp(segment.end, separator: "."))\n"
            let text = segment.text.trimmingCharacters(in: .whitespaces)
            out += (segment.speaker.map { "<v \($0)>\(text)" } ?? text) + "\n\n"
        }
        return out
    }

    /// Hours always shown, milliseconds rounded: 3725.5 s → `01:02:05,500`.
    static func timestamp(_ seconds: Double, separator: String) -> String {
        let totalMilliseconds = max(0, Int((seconds * 1000).rounded()))
        let hours = totalMilliseconds / 3_600_000
        let minutes = totalMilliseconds / 60_000 % 60
        let secs = totalMilliseconds / 1000 % 60
        let millis = totalMilliseconds % 1000
        return String(format: "%02d:%02d:%02d%@%03d", hours, minutes, secs, separator, millis)
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    /// OpenAI's verbose_json names the language in English ("english").
    static func languageName(_ code: String) -> String {
        let names = ["en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
                     "nl": "dutch", "ja": "japanese", "zh": "chinese", "ru": "russian"]
        return names[code.lowercased()] ?? code
    }

}
