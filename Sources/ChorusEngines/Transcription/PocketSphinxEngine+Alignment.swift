import Foundation
import NIOConcurrencyHelpers

extension PocketSphinxEngine {
    /// Clips longer than this are not aligned (a linear grammar over a long stretch loses its path, and the
    /// decode costs as much as recognition): their times are estimated.
    public static let maxAlignedSeconds = 600.0

    /// Times for `text`, a transcript of 16 kHz mono `samples` written by someone else (a provider that answered
    /// text only): forced alignment — one utterance from the first to the last speech region, decoded against a
    /// grammar of exactly the text's words — with word times from its segmentation, and segments cut at pauses
    /// and sentence ends. Words outside the dictionary (numbers, names) share the gaps between their neighbours.
    /// When alignment finds no path (silence, music, a text that does not fit the audio), the words are spread
    /// evenly over the speech by length and the result says `.estimated`. The transcript's text is `text`.
    public func align(_ samples: [Int16], text: String, language: String = "en") async throws -> AlignedTranscript {
        try Task.checkCancellation()
        let duration = Double(samples.count) / Double(Self.sampleRate)
        let alignment = TranscriptAlignment(text: text)
        let job = TranscriptionJob<AlignedTranscript>(samples: samples)
        let progress = decoded
        return try await run(job, what: "alignment", seconds: duration) { decoder in
            let (words, method) = try Self.alignWords(job, alignment: alignment, decoder: decoder, duration: duration, progress: progress)
            let transcript = Transcript(text: text, language: language, duration: duration,
                                        segments: alignment.segments(words), words: words)
            return AlignedTranscript(transcript: transcript, method: method)
        }
    }

    /// Runs on a decoder thread.
    private static func alignWords(_ job: TranscriptionJob<AlignedTranscript>, alignment: TranscriptAlignment,
                                   decoder: PocketSphinxDecoder, duration: Double,
                                   progress: NIOLockedValueBox<Int>) throws -> ([TranscriptWord], AlignedTranscript.Method) {
        let regions = SpeechDetector(sampleRate: sampleRate).regions(in: job.samples) { job.isCancelled }
        if job.isCancelled { throw CancellationError() }
        let seconds = { (sample: Int) in Double(sample) / Double(sampleRate) }
        let speech = regions.map { seconds($0.lowerBound)...seconds($0.upperBound) }
        guard !alignment.tokens.isEmpty else { return ([], .aligned) }
        guard let first = regions.first, let last = regions.last else {
            return (alignment.estimated(over: [0...duration]), .estimated)
        }
        let span = first.lowerBound..<last.upperBound
        let placeable = alignment.tokens.indices.filter { decoder.knows(alignment.tokens[$0].spoken) }
        guard !placeable.isEmpty, seconds(span.count) <= maxAlignedSeconds else {
            return (alignment.estimated(over: speech), .estimated)
        }
        let found = try job.samples.withUnsafeBufferPointer { samples in
            let mean = decoder.cepstralMean(of: samples, in: regions) { job.isCancelled }
            let result = try decoder.align(UnsafeBufferPointer(rebasing: samples[span]),
                                           words: placeable.map { alignment.tokens[$0].spoken },
                                           mean: mean, chunk: chunkSamples) { job.isCancelled }
            progress.withLockedValue { $0 += span.count }
            return result
        }
        guard found.count == placeable.count,
              zip(found, placeable).allSatisfy({ $0.word == alignment.tokens[$1].spoken }) else {
            // No path through the whole text (common on synthetic speech, whose phones can be shorter than the
            // model's minimum): place the text on what the recogniser hears instead.
            return try alignToRecognition(job, alignment: alignment, decoder: decoder, duration: duration,
                                          progress: progress, speech: speech)
        }
        let frame = 1.0 / Double(PocketSphinxDecoder.framesPerSecond)
        let offset = seconds(span.lowerBound)
        var known: [(start: Double, end: Double)?] = alignment.tokens.map { _ in nil }
        for (word, index) in zip(found, placeable) {
            let start = min(duration, offset + Double(word.startFrame) * frame)
            known[index] = (start, min(duration, max(start, offset + Double(word.endFrame + 1) * frame)))
        }
        return (alignment.words(known: known, span: seconds(span.lowerBound)...seconds(span.upperBound)), .aligned)
    }

    /// The text's words matched to the recogniser's own words by an edit-distance alignment: a word matched or
    /// substituted takes the recognised word's times (a substitution still marks where a word was spoken), the
    /// rest share the gaps. Estimated when the recogniser heard nothing.
    private static func alignToRecognition(_ job: TranscriptionJob<AlignedTranscript>, alignment: TranscriptAlignment,
                                           decoder: PocketSphinxDecoder, duration: Double,
                                           progress: NIOLockedValueBox<Int>,
                                           speech: [ClosedRange<Double>]) throws -> ([TranscriptWord], AlignedTranscript.Method) {
        let heard = try decode(job, with: decoder, duration: duration, progress: progress).words
        guard let first = heard.first, let last = heard.last else {
            return (alignment.estimated(over: speech), .estimated)
        }
        let pairs = TranscriptAlignment.editAlignment(alignment.tokens.map(\.spoken), heard.map { $0.word.lowercased() })
        var known: [(start: Double, end: Double)?] = alignment.tokens.map { _ in nil }
        for (token, word) in pairs { known[token] = (heard[word].start, heard[word].end) }
        let span = (speech.first?.lowerBound ?? first.start)...(speech.last?.upperBound ?? last.end)
        return (alignment.words(known: known, span: span), .aligned)
    }
}
