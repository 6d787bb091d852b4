import ChorusMedia
import Foundation
import FuzzSupport
import Logging

/// Voice samples for cloning: `audio_sample` (base64, optionally a data URL) in a speech or voice request, decoded by
/// `Base64Payload` (which also reads LoLLMs' base64 images) and normalised by `VoiceSample`, as the routes do.
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
    var limits = VoiceSampleLimits()
    limits.maxSeconds = 20  // the route allows 60; shorter keeps each run fast without skipping any path
    if let (wav, seconds) = try? VoiceSample.normalize(sample, sampleRate: 24000, limits: limits, param: "audio_sample") {
        require(seconds >= limits.minSeconds && seconds <= limits.maxSeconds, "normalised sample is \(seconds) s")
        require(wav.starts(with: Array("RIFF".utf8)), "normalised sample is not WAV")
    }
    return 0
}

@main
enum Main {
    static func main() {
        // FFmpeg's complaints about each broken input would drown libFuzzer's own output.
        FFmpegLog.install(logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        runFuzzer(fuzzVoiceSample)
    }
}
