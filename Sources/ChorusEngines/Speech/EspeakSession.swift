import CEspeak
import Foundation

/// The process-global espeak-ng state, as a thread-confined resource: created and used on the one espeak
/// worker thread, never anywhere else. It is never torn down (see `EspeakRuntime` for why there is no
/// `espeak_ng_Terminate`); on an initialisation failure nothing was started, so there is nothing to free.
final class EspeakSession {
    /// Length of each buffer espeak hands to the synth callback, in milliseconds (the streaming granularity).
    static let bufferMilliseconds: Int32 = 100

    init(dataPath: String?) throws {
        if let dataPath {
            // espeak-ng silently falls back to its built-in path when this one is wrong: check it here.
            guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: dataPath).appendingPathComponent("phontab").path) else {
                throw EngineError.initializationFailed("no espeak-ng data (phontab) in \(dataPath)")
            }
            dataPath.withCString { espeak_ng_InitializePath($0) }
        } else {
            espeak_ng_InitializePath(nil)
        }
        var context: espeak_ng_ERROR_CONTEXT?
        let status = espeak_ng_Initialize(&context)
        if status != ENS_OK {
            espeak_ng_ClearErrorContext(&context)
            throw EngineError.initializationFailed(
                "espeak-ng could not load its data (\(dataPath ?? "default path")): \(Self.message(for: status))",
                status: Int(status.rawValue))
        }
        let output = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, Self.bufferMilliseconds, nil)
        if output != ENS_OK {
            throw EngineError.initializationFailed("espeak-ng output: \(Self.message(for: output))",
                                                   status: Int(output.rawValue))
        }
        let rate = Int(espeak_ng_GetSampleRate())
        guard rate == EspeakEngine.sampleRate else {
            throw EngineError.initializationFailed("espeak-ng produces \(rate) Hz, expected \(EspeakEngine.sampleRate) Hz")
        }
        espeak_SetSynthCallback(espeakSynthCallback)
    }

    /// Selects the voice and parameters, then synthesises `job.text`, handing audio to `job` from the synth
    /// callback as espeak produces it. Returns when the text is done or the job asked to stop.
    func speak(_ job: SynthesisJob) throws {
        let voiceStatus = job.voiceName.withCString { espeak_ng_SetVoiceByName($0) }
        if voiceStatus == ENS_VOICE_NOT_FOUND {
            throw EngineError.voiceNotFound(job.voiceName, status: Int(voiceStatus.rawValue))
        }
        try check(voiceStatus, "select voice \(job.voiceName)")
        // Every parameter is set on every job: espeak keeps them across calls, and jobs must not leak
        // settings into each other.
        try check(espeak_ng_SetParameter(espeakRATE, Int32(job.wordsPerMinute), 0), "set rate")
        try check(espeak_ng_SetParameter(espeakPITCH, Int32(job.pitch), 0), "set pitch")
        try check(espeak_ng_SetParameter(espeakRANGE, 50, 0), "set pitch range")
        try check(espeak_ng_SetParameter(espeakVOLUME, 100, 0), "set volume")
        try check(espeak_ng_SetParameter(espeakWORDGAP, 0, 0), "set word gap")

        let userData = Unmanaged.passUnretained(job).toOpaque()
        let status = withExtendedLifetime(job) {
            job.text.withCString { text in
                espeak_ng_Synthesize(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
                                     UInt32(espeakCHARS_UTF8), nil, userData)
            }
        }
        // A stop requested through the callback is not an error.
        if status != ENS_OK && status != ENS_SPEECH_STOPPED && !job.isStopped {
            throw EngineError.synthesisFailed("espeak-ng synthesis failed: \(Self.message(for: status))",
                                              status: Int(status.rawValue))
        }
    }

    private func check(_ status: espeak_ng_STATUS, _ what: String) throws {
        guard status == ENS_OK else {
            throw EngineError.synthesisFailed("espeak-ng could not \(what): \(Self.message(for: status))",
                                              status: Int(status.rawValue))
        }
    }

    static func message(for status: espeak_ng_STATUS) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let count = buffer.count
        buffer.withUnsafeMutableBufferPointer { espeak_ng_GetStatusCodeMessage(status, $0.baseAddress, count) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// espeak-ng's synth callback (one per process). It runs on the espeak worker thread, inside
/// `espeak_ng_Synthesize`; `user_data` of every event is the current ``SynthesisJob``.
/// Returning 1 makes espeak abort the synthesis.
private func espeakSynthCallback(_ wav: UnsafeMutablePointer<Int16>?, _ count: Int32,
                                 _ events: UnsafeMutablePointer<espeak_EVENT>?) -> Int32 {
    guard let userData = events?.pointee.user_data else { return 0 }
    let job = Unmanaged<SynthesisJob>.fromOpaque(userData).takeUnretainedValue()
    guard let wav, count > 0 else { return job.isStopped ? 1 : 0 }
    return job.deliver(UnsafeBufferPointer(start: wav, count: Int(count))) ? 0 : 1
}
