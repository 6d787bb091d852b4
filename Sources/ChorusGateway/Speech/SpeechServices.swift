import ChorusEngines
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// What the speech and voice routes share: voice presets, the custom voice library, and the embedded espeak-ng
/// engine, started on first use (it loads its data once and then serves every request on its own thread).
public final class SpeechServices: Sendable {
    public let presets: VoicePresets
    public let voices: VoiceLibrary
    public let sampleLimits: VoiceSampleLimits
    private let espeak = NIOLockedValueBox<EspeakEngine?>(nil)

    public init(config: GatewayConfig, store: any GatewayStorage, logger: Logger) throws {
        let presetsPath = URL(fileURLWithPath: config.voicesDirectory).appendingPathComponent("presets.yaml").path
        if FileManager.default.fileExists(atPath: presetsPath) {
            presets = try VoicePresets.load(path: presetsPath)
        } else {
            presets = .builtIn
        }
        var limits = VoiceSampleLimits()
        limits.minSeconds = config.server.voiceSampleMinSeconds
        limits.maxSeconds = config.server.voiceSampleMaxSeconds
        sampleLimits = limits
        voices = try VoiceLibrary(store: store, voicesDirectory: config.voicesDirectory, limits: limits)
    }

    func engine() throws(GatewayError) -> EspeakEngine {
        do {
            return try espeak.withLockedValue { engine in
                if let engine { return engine }
                let started = try EspeakEngine()
                engine = started
                return started
            }
        } catch {
            throw .internalError("The embedded speech engine could not start: \(error)")
        }
    }

    public func shutdown() {
        espeak.withLockedValue { $0?.shutdown() }
    }
}

/// Blocking work (codecs, file I/O) on the NIO thread pool instead of an event loop or the cooperative pool.
enum Offload {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(GatewayError) -> T) async throws(GatewayError) -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try body() }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }
}
