import ArgumentParser
import ChorusMedia
import Foundation

/// The in-process FFmpeg pipeline the speech route uses, on files: handy on its own and what bench/ compares
/// with the ffmpeg CLI.
struct Transcode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcode an audio file with Chorus's in-process pipeline (mono, 24 kHz; opus at 48 kHz).")

    @Option(help: "Output format: mp3, opus, aac, flac, wav, pcm.") var format: String
    @Option(help: "Bitrate in bits/s (default: mp3 128k, opus 64k, aac 128k).") var bitrate: Int?
    @Option(help: "Output sample rate.") var sampleRate = 24000
    @Flag(help: "Feed the input in 64 KiB pieces through the streaming transcoder instead of decoding it whole.")
    var streaming = false
    @Argument(help: "Input audio file (any supported container).") var input: String
    @Argument(help: "Output file.") var output: String

    func run() throws {
        guard let format = AudioFormat(rawValue: format) else {
            throw ValidationError("--format must be one of \(AudioFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let data = FileManager.default.contents(atPath: input) else {
            FileHandle.standardError.write(Data("error: cannot read \(input)\n".utf8))
            throw ExitCode(1)
        }
        let bytes = Array(data)
        let limits = AudioLimits(maxInputBytes: max(bytes.count, 1), maxDurationSeconds: 24 * 3600)
        var out: [UInt8]
        do {
            if streaming {
                let transcoder = try StreamingTranscoder(output: format, sampleRate: sampleRate, bitrate: bitrate, limits: limits)
                out = []
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + 64 * 1024)
                    out += try transcoder.feed(Array(bytes[offset..<end]))
                    offset = end
                }
                out += try transcoder.finish()
            } else {
                let pcm = try AudioDecoder.decode(bytes, sampleRate: nil, limits: limits)
                out = try AudioEncoder.encode(pcm, to: format, sampleRate: sampleRate, bitrate: bitrate)
            }
        } catch let error as AudioError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard FileManager.default.createFile(atPath: output, contents: Data(out)) else {
            FileHandle.standardError.write(Data("error: cannot write \(output)\n".utf8))
            throw ExitCode(1)
        }
    }
}
