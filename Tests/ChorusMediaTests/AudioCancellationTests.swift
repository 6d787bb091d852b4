import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import ChorusMedia

/// Long whole-file jobs stop within a chunk once their ``CancellationFlag`` is set, wherever they are.
@Suite("Cancelling long audio jobs", .timeLimit(.minutes(2)))
struct AudioCancellationTests {
    /// A long ADTS AAC stream made in the test: one minute of a tone encoded once, repeated (ADTS frames stand
    /// alone, so the copies play as one long stream, the way a 2-hour upload of a few MB would).
    static func longAAC(minutes: Int) throws -> [UInt8] {
        let rate = 16000
        let samples = (0..<(rate * 60)).map { Int16(6000 * sin(2 * Double.pi * 300 * Double($0) / Double(rate))) }
        let minute = try AudioEncoder.encode(PCMAudio(samples: samples, sampleRate: rate), to: .aac, sampleRate: rate, bitrate: 16000)
        return repeated(minute, count: minutes)
    }

    /// `count` copies of `piece` end to end (copied a block at a time: element by element is slow in debug builds).
    static func repeated<T>(_ piece: [T], count: Int) -> [T] {
        var whole: [T] = []
        whole.reserveCapacity(piece.count * count)
        for _ in 0..<count { whole.append(contentsOf: piece) }
        return whole
    }

    static let generous = AudioLimits(maxInputBytes: 1 << 30, maxDurationSeconds: 86400)

    /// Runs a blocking job on a thread of its own, as the gateway runs them on the NIO thread pool.
    static func onThread<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async -> (result: Result<T, any Error>, end: ContinuousClock.Instant) {
        await withCheckedContinuation { continuation in
            Thread {
                let result = Result { try job() }
                continuation.resume(returning: (result, ContinuousClock.now))
            }.start()
        }
    }

    static func expectCancelled<T>(_ result: Result<T, any Error>, sourceLocation: SourceLocation = #_sourceLocation) {
        switch result {
        case .success: Issue.record("the job ran to the end instead of stopping", sourceLocation: sourceLocation)
        case .failure(let error as AudioError): #expect(error.kind == .cancelled, "\(error)", sourceLocation: sourceLocation)
        case .failure(let error): Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func decodingALongStreamStopsWithinASecondOfCancellation() async throws {
        let aac = try Self.longAAC(minutes: 240)  // 4 hours, ~30 MB
        let flag = CancellationFlag()
        let produced = NIOLockedValueBox(0)
        let running = Task {
            await Self.onThread {
                try aac.withUnsafeBytes { bytes in
                    try AudioDecoder.decode(bytes, sampleRate: 16000, limits: Self.generous, cancellation: flag) { chunk in
                        produced.withLockedValue { $0 += chunk.count / 2 }
                    }
                }
            }
        }
        while produced.withLockedValue({ $0 }) < 16000 * 60 { try await Task.sleep(for: .milliseconds(10)) }
        let cancelledAt = ContinuousClock.now
        flag.cancel()
        let atCancel = produced.withLockedValue { $0 }
        let (result, end) = await running.value
        Self.expectCancelled(result)
        #expect(end - cancelledAt < .seconds(1), "the decoder went on for \(end - cancelledAt)")
        let decodedSeconds = Double(produced.withLockedValue { $0 }) / 16000
        #expect(decodedSeconds < 4 * 3600 / 2, "decoded \(decodedSeconds) s of 4 h")
        // What came out after the flag was set is at most the blocks already in flight.
        #expect(produced.withLockedValue { $0 } - atCancel < 16000 * 30)
    }

    @Test func decodingAWAVStopsWhenCancelled() async throws {
        // WAV is read in place without libavformat: the collector's per-block check is what stops it.
        let seconds = 1800
        let wav = WAVHeader.make(sampleRate: 16000, dataBytes: seconds * 16000 * 2)
            + [UInt8](repeating: 0x11, count: seconds * 16000 * 2)
        let flag = CancellationFlag()
        flag.cancel()
        let (result, _) = await Self.onThread { try AudioDecoder.decode(wav, sampleRate: 8000, limits: Self.generous, cancellation: flag) }
        Self.expectCancelled(result)
    }

    @Test func measuringAnEstimatedDurationStopsWhenCancelled() async throws {
        let aac = try Self.longAAC(minutes: 30)
        let flag = CancellationFlag()
        flag.cancel()
        let (result, _) = await Self.onThread {
            try AudioDecoder.probe(aac, limits: Self.generous, measureEstimatedDuration: true, cancellation: flag)
        }
        Self.expectCancelled(result)
        // Without the flag the same scan measures the real length, which the bit-rate estimate only guesses.
        let info = try AudioDecoder.probe(aac, limits: Self.generous, measureEstimatedDuration: true)
        #expect(abs((info.duration ?? 0) - 1800) < 5, "\(String(describing: info.duration))")
    }

    @Test func encodingALongClipStopsWithinASecondOfCancellation() async throws {
        let rate = 24000
        let second = (0..<rate).map { Int16(truncatingIfNeeded: ($0 &* 7919) % 12000 - 6000) }
        let pcm = PCMAudio(samples: Self.repeated(second, count: 60 * 40), sampleRate: rate)  // 40 min of noise
        let flag = CancellationFlag()
        let started = ContinuousClock.now
        let running = Task { await Self.onThread { try AudioEncoder.encode(pcm, to: .mp3, sampleRate: rate, cancellation: flag) } }
        try await Task.sleep(for: .milliseconds(300))
        let cancelledAt = ContinuousClock.now
        flag.cancel()
        let (result, end) = await running.value
        Self.expectCancelled(result)
        #expect(end - cancelledAt < .seconds(1), "the encoder went on for \(end - cancelledAt) (started \(cancelledAt - started) before)")
    }
}
