import ChorusMedia
import ChorusWire
import Foundation

/// A voice sample a caller sends (inline `audio_sample` or an upload for a custom voice), from bytes of any
/// container to a normalised mono WAV.
///
/// The bytes it reads are parsed by ChorusMedia (`AudioDecoder`), which fuzz/FuzzVoiceSample drives with hostile
/// samples composed the same way (`Base64Payload`, then decode and encode with these limits); what is left here is
/// the duration checks and the wording of the 400s.
enum VoiceSample {
    /// Decodes any container, checks the duration, normalises to mono WAV at `sampleRate`.
    static func normalize(_ bytes: [UInt8], sampleRate: Int, limits: VoiceSampleLimits, param: String) throws(GatewayError) -> (wav: [UInt8], seconds: Double) {
        guard !bytes.isEmpty else { throw .invalidParameter(param, "'\(param)' is empty.") }
        let pcm: PCMAudio
        do {
            pcm = try AudioDecoder.decode(bytes, sampleRate: sampleRate,
                                          limits: AudioLimits(maxInputBytes: limits.maxBytes, maxDurationSeconds: limits.maxSeconds + 1))
        } catch let error as AudioError {
            switch error.kind {
            case .tooLong: throw .invalidParameter(param, "'\(param)' is longer than \(Int(limits.maxSeconds)) seconds.")
            case .tooLarge: throw .invalidParameter(param, "'\(param)' is larger than \(limits.maxBytes) bytes.")
            default: throw .invalidParameter(param, "'\(param)' is not audio Chorus can decode (\(error.message)).")
            }
        } catch {
            throw .invalidParameter(param, "'\(param)' could not be decoded.")
        }
        guard pcm.duration >= limits.minSeconds else {
            throw .invalidParameter(param, "'\(param)' is \(String(format: "%.2f", pcm.duration)) s; voice samples must be at least \(limits.minSeconds) s.")
        }
        guard pcm.duration <= limits.maxSeconds else {
            throw .invalidParameter(param, "'\(param)' is \(String(format: "%.1f", pcm.duration)) s; voice samples may be at most \(limits.maxSeconds) s.")
        }
        do {
            return (try AudioEncoder.encode(pcm, to: .wav, sampleRate: sampleRate, bitrate: nil), pcm.duration)
        } catch {
            throw .internalError("Could not encode the voice sample: \(error)")
        }
    }
}

public struct VoiceSampleLimits: Sendable {
    public var minSeconds = 1.0
    public var maxSeconds = 60.0
    public var maxBytes = 20 * 1024 * 1024
    public init() {}
}
