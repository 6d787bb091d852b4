import Foundation
import Testing

@testable import ChorusMedia

/// Audio fixtures made once per test run with the ffmpeg and espeak-ng CLIs in a temp directory,
/// and helpers that check output with ffprobe/ffmpeg.
enum AudioFixtures {
    /// Duration of the tone fixtures.
    static let toneDuration = 2.56
    /// The tone fixtures: 440 Hz, 48 kHz, stereo, one per container.
    static let toneFiles: [String] = [
        "tone.wav", "tone.mp3", "tone-opus.ogg", "tone-vorbis.ogg", "tone.flac", "tone.m4a", "tone.webm", "tone.aac",
    ]

    private static let made: Result<URL, any Error> = Result { try make() }

    static var directory: URL {
        get throws { try made.get() }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try directory.appendingPathComponent(name)))
    }

    /// 24 kHz mono s16 speech from espeak-ng, a few seconds long (what a TTS upstream sends).
    static func speech() throws -> PCMAudio {
        let wav = try bytes("speech24k.wav")
        return try AudioDecoder.decode(wav, sampleRate: nil, limits: AudioLimits())
    }

    private static func make() throws -> URL {
        let temporary = FileManager.default.temporaryDirectory
        // Fixture folders of test runs that have ended (their process is gone) are removed.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix("chorus-audio-tests-") {
            let pid = name.dropFirst("chorus-audio-tests-".count)
            if Int(pid) != nil, !FileManager.default.fileExists(atPath: "/proc/\(pid)") {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
        let directory = temporary.appendingPathComponent("chorus-audio-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i",
                           "sine=frequency=440:duration=\(toneDuration):sample_rate=48000,aformat=channel_layouts=stereo",
                           "-c:a", "pcm_s16le", path("tone.wav"),
                           "-c:a", "libmp3lame", "-b:a", "64k", path("tone.mp3"),
                           "-c:a", "libopus", "-b:a", "32k", path("tone-opus.ogg"),
                           "-c:a", "libvorbis", path("tone-vorbis.ogg"),
                           "-c:a", "flac", path("tone.flac"),
                           "-c:a", "aac", "-b:a", "64k", path("tone.m4a"),
                           "-c:a", "libopus", "-b:a", "32k", path("tone.webm"),
                           "-c:a", "aac", "-b:a", "64k", path("tone.aac"),
                           "-c:a", "pcm_alaw", "-ar", "8000", path("tone-alaw.wav")])
        try run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=\(toneDuration)",
                           "-f", "lavfi", "-i", "sine=frequency=440:duration=\(toneDuration):sample_rate=44100",
                           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "48k", path("video.mp4"),
                           "-c:v", "libvpx", "-b:v", "50k", "-c:a", "libopus", "-b:a", "24k", path("video.webm")])
        let text = "Hello from Chorus. This is a test of streaming speech, with a few sentences of audio to transcode."
        try run("espeak-ng", ["-w", path("speech22k.wav"), text])
        try run("ffmpeg", ["-v", "error", "-y", "-i", path("speech22k.wav"), "-ar", "24000", "-ac", "1",
                           "-c:a", "pcm_s16le", path("speech24k.wav"),
                           "-c:a", "libmp3lame", "-b:a", "64k", path("speech.mp3"),
                           "-c:a", "libopus", "-b:a", "32k", path("speech-opus.ogg"),
                           "-c:a", "aac", "-b:a", "64k", path("speech.m4a")])
        return directory
    }

    /// Runs a CLI tool; returns its stdout, throws with its stderr when it fails.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let output = Pipe()
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-tool-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        defer { try? errorHandle.close() }
        process.standardOutput = output
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            let message = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
            throw ToolFailure(description: "\(tool) \(arguments.joined(separator: " ")) failed: \(message)")
        }
        return data
    }

    struct ToolFailure: Error, CustomStringConvertible { var description: String }

    /// What ffprobe says about a file: stream codec_name, sample_rate, channels; format duration, format_name.
    static func ffprobe(_ bytes: [UInt8], extension ext: String, rawPCMRate: Int? = nil) throws -> [String: String] {
        let file = try write(bytes, extension: ext)
        defer { try? FileManager.default.removeItem(at: file) }
        var arguments = ["-v", "error"]
        if let rawPCMRate { arguments += ["-f", "s16le", "-ar", "\(rawPCMRate)", "-ac", "1"] }
        // ADTS has no length field and ffprobe's duration for it is a bit-rate guess: count packets instead.
        let countPackets = ext == "aac"
        if countPackets { arguments += ["-count_packets"] }
        arguments += ["-show_entries",
                      "stream=codec_name,sample_rate,channels\(countPackets ? ",nb_read_packets" : ""):format=duration,format_name",
                      "-of", "default=noprint_wrappers=1", file.path]
        let text = String(decoding: try run("ffprobe", arguments), as: UTF8.self)
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        if countPackets, let packets = fields["nb_read_packets"].flatMap(Double.init),
           let rate = fields["sample_rate"].flatMap(Double.init), rate > 0 {
            fields["duration"] = String(packets * 1024 / rate)
        }
        return fields
    }

    /// The duration the ffmpeg CLI decodes from a file (it must accept the whole file).
    static func ffmpegDecodedDuration(_ bytes: [UInt8], extension ext: String, rawPCMRate: Int? = nil) throws -> Double {
        let file = try write(bytes, extension: ext)
        defer { try? FileManager.default.removeItem(at: file) }
        // -xerror stops at any damaged packet; a WAV with unknown sizes ends in a short packet
        // that FFmpeg flags as corrupt, so it is read without it.
        var arguments = ["-v", "error"] + (ext == "wav" ? [] : ["-xerror"])
        if let rawPCMRate { arguments += ["-f", "s16le", "-ar", "\(rawPCMRate)", "-ac", "1"] }
        arguments += ["-i", file.path, "-f", "s16le", "-ac", "1", "-ar", "48000", "-"]
        let pcm = try run("ffmpeg", arguments)
        return Double(pcm.count / 2) / 48000
    }

    static func write(_ bytes: [UInt8], extension ext: String) throws -> URL {
        let file = try directory.appendingPathComponent("out-\(UUID().uuidString).\(ext)")
        try Data(bytes).write(to: file)
        return file
    }
}

/// Runs `body`, expects an ``AudioError`` of `kind`, and that it came quickly (no hang).
func expectAudioError(_ kind: AudioError.Kind, within seconds: Double = 5,
                      sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let start = ContinuousClock.now
    do {
        try body()
        Issue.record("expected AudioError.\(kind), got success", sourceLocation: sourceLocation)
    } catch let error as AudioError {
        #expect(error.kind == kind, "got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected AudioError.\(kind), got \(error)", sourceLocation: sourceLocation)
    }
    let elapsed = ContinuousClock.now - start
    #expect(elapsed < .seconds(seconds), "took \(elapsed)", sourceLocation: sourceLocation)
}

