import ChorusMedia
import ChorusWire
import Foundation
import FuzzSupport
import Logging

/// Voice samples for cloning: `audio_sample` (base64, optionally a data URL) in a speech or voice request, decoded by
/// `Base64Payload` (which also reads LoLLMs' base64 images) and normalised as the gateway's `VoiceSample.normalize`
/// does: ChorusMedia decodes any container under the sample limits, the duration is checked, a WAV is encoded.
/// `VoiceSample` itself only adds the gateway's error wording, so it stays in the gateway and this composes the same
/// calls.
///
/// Input: a mode byte, then the payload. Mode 0: the payload is the `audio_sample` text as a caller sends it.
/// Otherwise the payload is audio bytes, sent as a data URL (wrapped in lines when the mode is odd); its base64 must
/// decode back to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVoiceSample(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    let payload = Array(input.dropFirst())
    let sample: [UInt8]
    if mode == 0 {
        guard let decoded = try? Base64Payload.decode(String(decoding: payload, as: UTF8.self), param: "audio_sample", media: "audio")
        else { return 0 }
        sample = decoded
    } else {
        let options: Data.Base64EncodingOptions = mode & 1 == 1 ? [.lineLength64Characters] : []
        let text = "data:audio/wav;base64," + Data(payload).base64EncodedString(options: options)
        do {
            sample = try Base64Payload.decode(text, param: "audio_sample", media: "audio")
        } catch {
            require(payload.isEmpty, "valid base64 of \(payload.count) bytes was refused: \(error)")
            return 0
        }
        require(sample == payload, "base64 did not decode back to the bytes that were encoded")
    }
    if let (wav, seconds) = normalize(sample) {
        require(seconds >= SampleLimits.minSeconds && seconds <= SampleLimits.maxSeconds, "normalised sample is \(seconds) s")
        require(wav.starts(with: Array("RIFF".utf8)), "normalised sample is not WAV")
    }
    return 0
}

/// The gateway's `VoiceSampleLimits`, but for `maxSeconds`: the route allows 60; shorter keeps each run fast
/// without skipping any path.
enum SampleLimits {
    static let minSeconds = 1.0
    static let maxSeconds = 20.0
    static let maxBytes = 20 * 1024 * 1024
}

/// `VoiceSample.normalize(_:sampleRate:limits:param:)` without its errors: nil where the gateway answers 400 (or
/// 500 for a failed encode).
func normalize(_ bytes: [UInt8]) -> (wav: [UInt8], seconds: Double)? {
    guard !bytes.isEmpty else { return nil }
    let limits = AudioLimits(maxInputBytes: SampleLimits.maxBytes, maxDurationSeconds: SampleLimits.maxSeconds + 1)
    guard let pcm = try? AudioDecoder.decode(bytes, sampleRate: 24000, limits: limits) else { return nil }
    guard pcm.duration >= SampleLimits.minSeconds, pcm.duration <= SampleLimits.maxSeconds else { return nil }
    guard let wav = try? AudioEncoder.encode(pcm, to: .wav, sampleRate: 24000, bitrate: nil) else { return nil }
    return (wav, pcm.duration)
}

@main
enum Main {
    static func main() {
        // FFmpeg's complaints about each broken input would drown libFuzzer's own output.
        FFmpegLog.install(logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        runFuzzer(fuzzVoiceSample)
    }
}
