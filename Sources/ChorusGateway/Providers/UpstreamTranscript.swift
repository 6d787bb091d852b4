import ChorusEngines
import ChorusWire
import Foundation
import NIOCore

/// A provider's transcription answer, read for what it is rather than what was asked: providers answer JSON when
/// asked for srt, or text only where times were asked. The body and its Content-Type decide.
enum UpstreamTranscript: Sendable {
    /// verbose_json with segments or words, or srt/vtt cues: times the provider measured.
    case timed(Transcript, as: TranscriptFormat)
    /// `{"text": …}` or plain text: no times.
    case text(String, language: String?, duration: Double?, as: TranscriptFormat)

    /// The format the provider actually answered in.
    var format: TranscriptFormat {
        switch self {
        case .timed(_, let format), .text(_, _, _, let format): format
        }
    }

    /// nil when the body is no transcript at all (HTML, an empty body, JSON without text).
    init?(body: ByteBuffer, contentType: String?) {
        let raw = String(buffer: body)
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let type = contentType?.lowercased() ?? ""
        if text.hasPrefix("{") {
            guard let json = try? body.withUnsafeReadableBytes({ bytes throws(JSONParseError) in try JSONParser.parse(bytes) }),
                  let transcript = Transcript(verboseJSON: json) else { return nil }
            let timed = json["segments"]?.arrayValue?.isEmpty == false || json["words"]?.arrayValue?.isEmpty == false
            let diarized = transcript.segments.contains { $0.speaker != nil }
            self = timed ? .timed(transcript, as: diarized ? .diarizedJSON : .verboseJSON)
                         : .text(transcript.text, language: json["language"]?.stringValue, duration: json["duration"]?.doubleValue, as: .json)
            return
        }
        if type.contains("json") || type.contains("html") || text.hasPrefix("<") { return nil }
        if text.hasPrefix("WEBVTT") {
            guard let segments = Self.cues(text, vtt: true) else { return nil }
            self = .timed(Self.transcript(segments), as: .vtt)
            return
        }
        if let segments = Self.cues(text, vtt: false), !segments.isEmpty {
            self = .timed(Self.transcript(segments), as: .srt)
            return
        }
        guard !raw.isEmpty, !raw.contains("\u{0}") else { return nil }
        self = .text(text, language: nil, duration: nil, as: .text)
    }

    static func transcript(_ segments: [TranscriptSegment]) -> Transcript {
        Transcript(text: segments.map(\.text).joined(separator: " "), language: "en",
                   duration: segments.last?.end ?? 0, segments: segments, words: [])
    }

    /// srt or vtt cues as segments; nil when a block that should be a cue has no valid times (not a subtitle file).
    static func cues(_ text: String, vtt: Bool) -> [TranscriptSegment]? {
        let blocks = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
        var segments: [TranscriptSegment] = []
        for block in blocks {
            var lines = block.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if vtt, lines.first?.hasPrefix("WEBVTT") == true || lines.first?.hasPrefix("NOTE") == true { continue }
            guard let timing = lines.firstIndex(where: { $0.contains("-->") }) else {
                if lines.isEmpty { continue }
                return nil
            }
            let parts = lines[timing].components(separatedBy: "-->")
            guard parts.count == 2, let start = seconds(parts[0]),
                  let end = seconds(parts[1].split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) ?? "") else { return nil }
            lines = Array(lines[(timing + 1)...])
            segments.append(TranscriptSegment(id: segments.count, start: start, end: end,
                                              text: lines.joined(separator: " "), words: []))
        }
        return segments
    }

    /// `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or `MM:SS.mmm`.
    static func seconds(_ stamp: String) -> Double? {
        let fields = stamp.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".").split(separator: ":")
        guard (2...3).contains(fields.count) else { return nil }
        var total = 0.0
        for field in fields {
            guard let value = Double(field), value >= 0 else { return nil }
            total = total * 60 + value
        }
        return total
    }
}
