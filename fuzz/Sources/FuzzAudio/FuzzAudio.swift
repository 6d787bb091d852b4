import ChorusMedia
import FuzzSupport
import Logging

/// Audio containers a caller uploads (transcriptions, voice samples) or an upstream answers with: probe and
/// decode from memory (the WAV reader, then libavformat), and the streaming transcoder fed in pieces (the
/// incremental WAV parser, or libavformat on its reader thread).
///
/// Input: a byte that picks how the transcoder's input is cut into pieces, then the audio.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudio(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let seed = input.first else { return 0 }
    let audio = Array(input.dropFirst())
    // Short limits keep each run fast; every path still runs (the limits only end long inputs sooner).
    let limits = AudioLimits(maxInputBytes: 1 << 20, maxDurationSeconds: 20, probeBytes: 64 << 10)

    if let info = try? AudioDecoder.probe(audio, limits: limits) {
        require(info.channels >= 1 && info.sampleRate >= 1, "probe reported \(info)")
    }
    if let pcm = try? AudioDecoder.decode(audio, sampleRate: seed & 1 == 0 ? nil : 16000, limits: limits) {
        require(pcm.duration <= limits.maxDurationSeconds + 1, "decoded \(pcm.duration) s past the limit")
    }
    if let transcoder = try? StreamingTranscoder(output: .pcm, sampleRate: 16000, limits: limits) {
        var produced = 0
        do {
            for piece in pieces(of: audio[...], seed: seed >> 1) { produced += try transcoder.feed(Array(piece)).count }
            produced += try transcoder.finish().count
            require(produced % 2 == 0, "transcoder wrote an odd number of s16 bytes")
        } catch {
            // Refused input: the error is the outcome, and a refusing transcoder stays refusing.
            require((try? transcoder.feed([0, 0])) == nil, "the transcoder took input after it failed")
        }
    }
    return 0
}

@main
enum Main {
    static func main() {
        // FFmpeg's complaints about each broken input would drown libFuzzer's own output.
        FFmpegLog.install(logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        runFuzzer(fuzzAudio)
    }
}
