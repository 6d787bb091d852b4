import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import ChorusEngines

/// One engine for the suite: loading the model costs ~0.4 s of CPU per decoder.
private let sharedEngine = Result { try PocketSphinxEngine() }

// Serialised: the tests share one decoder, and the machine has two cores.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PocketSphinxEngineTests {
    @Test func clipGivesTimedWordsSegmentsAndPartials() async throws {
        let engine = try sharedEngine.get()
        let samples = try fixtureSamples()
        let duration = Double(samples.count) / Double(PocketSphinxEngine.sampleRate)
        let partials = NIOLockedValueBox<[String]>([])
        let clock = ContinuousClock()
        let start = clock.now
        let transcript = try await engine.transcribe(samples) { text in partials.withLockedValue { $0.append(text) } }
        let elapsed = clock.now - start
        print("pocketsphinx: \(String(format: "%.2f", duration)) s of audio in \(elapsed), realtime factor \(String(format: "%.2f", elapsed.seconds / duration)): \"\(transcript.text)\"")

        #expect(!transcript.text.isEmpty)
        #expect(transcript.language == "en")
        #expect(abs(transcript.duration - duration) < 0.001)
        #expect(transcript.text == transcript.words.map(\.word).joined(separator: " "))

        // Word times: inside the clip, each word well-formed, in order, no fillers.
        var previousEnd = 0.0
        for word in transcript.words {
            #expect(word.start >= 0 && word.end <= duration, "\(word)")
            #expect(word.start <= word.end, "\(word)")
            #expect(word.start >= previousEnd - 0.001, "\(word) overlaps the previous word")
            #expect(!word.word.isEmpty && !word.word.hasPrefix("<") && !word.word.hasPrefix("[") && !word.word.contains("("))
            previousEnd = word.end
        }
        // Speech starts after the 0.3 s lead-in.
        let first = try #require(transcript.words.first)
        #expect(first.start > 0.15)

        // Segments cover the words exactly, in order, and split at the 1 s pause between the sentences.
        #expect(transcript.segments.flatMap(\.words) == transcript.words)
        #expect(transcript.segments.count >= 2)
        for (index, segment) in transcript.segments.enumerated() {
            #expect(segment.id == index)
            #expect(segment.start == segment.words.first?.start && segment.end == segment.words.last?.end)
            #expect(segment.text == segment.words.map(\.word).joined(separator: " "))
        }

        // A partial per sentence, each extending the one before, the last being the final text.
        let seen = partials.withLockedValue { $0 }
        print("pocketsphinx partials: \(seen.map { "\"\($0)\"" }.joined(separator: ", "))")
        #expect(seen.count >= 2, "\(seen)")
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $1.hasPrefix($0 + " ") }, "\(seen)")
        #expect(seen.last == transcript.text)
    }

    /// Regression: noise removal's estimate ran on across utterances, so this clip (a gateway's espeak MP3 decoded
    /// to 16 kHz) gave "will update on the it's like" on a fresh decoder, then "well the opposite on the it's like".
    @Test func aFreshDecodersFirstTranscriptIsLikeEveryLaterOne() async throws {
        let clip = try fixtureSamples("gateway-hello-16k-s16le.raw")
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let first = try await engine.transcribe(clip)
        let second = try await engine.transcribe(clip)
        #expect(!first.text.isEmpty)
        #expect(first.text == second.text)
        #expect(first.words == second.words)
    }

    /// Regression: live cepstral mean normalisation carried its running mean from one request into the next, so a
    /// clip's transcript depended on what the decoder had heard before.
    @Test func theSameClipGivesTheSameTranscriptWhateverCameBefore() async throws {
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let clip = try fixtureSamples()
        let reversed = Array(clip.reversed())
        let quiet = clip.map { $0 / 6 }
        let hiss = (0..<32000).map { Int16(($0 &* 7919) % 8001) - 4000 }  // loud, noise-like: moves a noise estimate
        let first = try await engine.transcribe(clip)
        #expect(!first.text.isEmpty)
        for other in [reversed, hiss + quiet, quiet] {
            _ = try await engine.transcribe(other)
            let again = try await engine.transcribe(clip)
            #expect(again.text == first.text)
            #expect(again.words == first.words)
        }
    }

    /// Regression: pocketsphinx keeps counting frames across utterances on one decoder, which put every word of
    /// every later transcription at the clip's end.
    @Test func laterTranscriptionsOnTheSameDecoderKeepTheirWordTimes() async throws {
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let samples = try fixtureSamples()
        let duration = Double(samples.count) / Double(PocketSphinxEngine.sampleRate)
        for round in 0..<3 {
            let transcript = try await engine.transcribe(samples)
            let words = transcript.words
            #expect(!words.isEmpty)
            let first = try #require(words.first)
            #expect(first.start < duration / 2, "round \(round): first word at \(first.start) s of \(duration) s")
            let spoken = words.filter { $0.end > $0.start }.count
            #expect(spoken * 2 > words.count, "round \(round): most words must have a length")
        }
    }

    @Test func silenceGivesAnEmptyTranscript() async throws {
        let engine = try sharedEngine.get()
        let partials = NIOLockedValueBox(0)
        let silence = [Int16](repeating: 0, count: PocketSphinxEngine.sampleRate * 2)
        let transcript = try await engine.transcribe(silence) { _ in partials.withLockedValue { $0 += 1 } }
        #expect(transcript.text.isEmpty && transcript.words.isEmpty && transcript.segments.isEmpty)
        #expect(transcript.duration == 2.0)
        #expect(partials.withLockedValue { $0 } == 0)
    }

    @Test func faintNoiseIsHandledWithoutError() async throws {
        let engine = try sharedEngine.get()
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<PocketSphinxEngine.sampleRate).map { _ in Int16.random(in: -20...20, using: &generator) }
        let transcript = try await engine.transcribe(noise)
        #expect(transcript.duration == 1.0)
    }

    @Test func emptyInputGivesAnEmptyTranscript() async throws {
        let engine = try sharedEngine.get()
        let transcript = try await engine.transcribe([])
        #expect(transcript.text.isEmpty && transcript.duration == 0 && transcript.segments.isEmpty)
    }

    @Test func cancellingStopsDecodingEarly() async throws {
        let engine = try sharedEngine.get()
        let clip = try fixtureSamples()
        let long = Array([[Int16]](repeating: clip, count: 5).joined())  // ~30 s of audio
        let partials = NIOLockedValueBox(0)
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task {
            try await engine.transcribe(long) { _ in partials.withLockedValue { $0 += 1 } }
        }
        while partials.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let result = await task.result
        let elapsed = clock.now - start
        #expect(throws: CancellationError.self) { try result.get() }
        // Decoding 30 s takes well over 5 s here; a cancelled run stops within a chunk.
        #expect(elapsed < .seconds(6), "\(elapsed)")
        // The decoder is usable afterwards.
        #expect(try await engine.transcribe([Int16](repeating: 0, count: 1600)).text.isEmpty)
    }

    @Test func alreadyCancelledTaskThrowsAtOnce() async throws {
        let engine = try sharedEngine.get()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await engine.transcribe(try fixtureSamples())
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func cancellingAQueuedRequestFailsAtOnce() async throws {
        let engine = try sharedEngine.get()
        let clip = try fixtureSamples()
        let busy = Task { try await engine.transcribe(clip) }  // occupies the one decoder for seconds
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let queued = Task { try await engine.transcribe(clip) }
        try await Task.sleep(for: .milliseconds(50))
        let start = clock.now
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(clock.now - start < .seconds(1))
        busy.cancel()
        _ = await busy.result
    }

    @Test func missingModelIsATypedError() throws {
        let error = try #require(throws: EngineError.self) {
            try PocketSphinxEngine(modelDirectory: "/nonexistent/model")
        }
        #expect(error.code == .modelNotFound)
    }

    @Test func badExtraArgumentsAreATypedError() throws {
        let error = try #require(throws: EngineError.self) {
            try PocketSphinxEngine(extraArguments: ["-no_such_flag", "1"])
        }
        #expect(error.code == .initializationFailed)
    }

    @Test func shutdownRefusesNewRequests() async throws {
        let engine = try PocketSphinxEngine()
        engine.shutdown()
        let error = await #expect(throws: EngineError.self) { try await engine.transcribe(try fixtureSamples()) }
        #expect(error?.code == .shutdown)
    }

    @Test func fillersAndPronunciationVariantsAreCleaned() {
        #expect(PocketSphinxDecoder.cleanWord("<s>") == nil)
        #expect(PocketSphinxDecoder.cleanWord("</s>") == nil)
        #expect(PocketSphinxDecoder.cleanWord("<sil>") == nil)
        #expect(PocketSphinxDecoder.cleanWord("[NOISE]") == nil)
        #expect(PocketSphinxDecoder.cleanWord("++GARBAGE++") == nil)
        #expect(PocketSphinxDecoder.cleanWord("read(2)") == "read")
        #expect(PocketSphinxDecoder.cleanWord("hello") == "hello")
    }
}
