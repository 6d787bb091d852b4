import ChorusEngines
import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore

/// Uploads longer than the provider takes (`max_audio_seconds`, `max_upload_mb`): split at silences, the pieces
/// sent `split_parallel` at a time (each retried on a provider failure), and stitched back with their times offset.
extension OpenAICompatibleProvider {
    /// Attempts per piece: a failed piece is retried, not the whole upload.
    static let pieceAttempts = 3

    func needsSplitting(_ job: TranscriptionJob) -> Bool {
        if let megabytes = config.maxUploadMB, Double(job.file.data.readableBytes) > megabytes * 1_000_000 { return true }
        return (job.info.duration ?? 0) > config.maxAudioSeconds
    }

    /// Seconds of 16 kHz mono WAV that fit both limits (with room for the cut search and the form around it).
    var pieceSeconds: Double {
        var seconds = config.maxAudioSeconds
        if let megabytes = config.maxUploadMB { seconds = min(seconds, megabytes * 1_000_000 * 0.95 / 32000) }
        return max(1, seconds * 0.98)
    }

    func transcribeInPieces(_ job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> TranscriptionResult {
        if job.stream {
            let (events, continuation) = AsyncThrowingStream<TranscriptEvent, any Error>.makeStream()
            let work = Task {
                do {
                    let (transcript, _) = try await runPieces(job, model: model) { text in
                        continuation.yield(.delta(text))
                    }
                    continuation.yield(.done(transcript.text))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in work.cancel() }
            return TranscriptionResult(answer: .live(events), audioSeconds: job.info.duration)
        }
        let (transcript, timestamps) = try await runPieces(job, model: model) { _ in }
        return TranscriptionResult(answer: .transcript(transcript), audioSeconds: transcript.duration, timestamps: timestamps)
    }

    /// Splits, sends and stitches; `onText` gets each piece's text in order (with a leading space after the first).
    private func runPieces(_ job: TranscriptionJob, model: ModelConfig,
                           onText: @escaping @Sendable (String) -> Void) async throws(GatewayError) -> (Transcript, AlignedTranscript.Method?) {
        let parallel = config.splitParallel
        let feed = AudioPieceFeed(capacity: parallel + 1)
        let splitter = LongAudioSplitter(pieceSeconds: pieceSeconds)
        let (audio, limits, provider) = (job.file.data, job.limits, config.name)
        let producer = Task { () throws(GatewayError) -> Double in
            defer { feed.finish() }
            return try await Offload.cancellable { flag throws(GatewayError) in
                do {
                    return try splitter.split(audio, limits: limits, cancellation: flag, into: feed)
                } catch {
                    throw .undecodableUpload(error, limit: LongAudioSplitter.maxSeconds, provider: provider, what: "split")
                }
            }
        }
        // Results keep each piece's place, never its audio: a sent piece's buffer is freed at once.
        var done: [Int: (PiecePlace, Transcript, AlignedTranscript.Method?)] = [:]
        var nextToReport = 0
        func report() {
            while let (_, transcript, _) = done[nextToReport] {
                let text = transcript.text.trimmingCharacters(in: .whitespaces)
                if !text.isEmpty { onText(nextToReport == 0 ? text : " " + text) }
                nextToReport += 1
            }
        }
        do {
            try await withThrowingTaskGroup(of: (PiecePlace, Transcript, AlignedTranscript.Method?).self) { group in
                var inFlight = 0
                while let piece = await feed.next() {
                    if inFlight == parallel, let finished = try await group.next() {
                        done[finished.0.index] = finished
                        inFlight -= 1
                        report()
                    }
                    group.addTask {
                        defer { feed.release() }
                        let (transcript, method) = try await self.transcribePiece(piece, of: job, model: model)
                        return (PiecePlace(index: piece.index, startSeconds: piece.startSeconds), transcript, method)
                    }
                    inFlight += 1
                }
                for try await finished in group {
                    done[finished.0.index] = finished
                    report()
                }
            }
        } catch {
            feed.cancel()
            producer.cancel()
            _ = await producer.result
            throw (error as? GatewayError) ?? .internalError("A split transcription failed: \(error)")
        }
        let total: Double
        switch await producer.result {
        case .success(let seconds): total = seconds
        case .failure(let error): throw (error as? GatewayError) ?? .internalError("Splitting the upload failed: \(error)")
        }
        let ordered = done.keys.sorted().compactMap { done[$0] }
        let stitched = Self.stitch(ordered.map { ($0.0.startSeconds, $0.1) }, duration: total, language: job.language)
        let methods = ordered.compactMap(\.2)
        let method: AlignedTranscript.Method? = methods.contains(.estimated) ? .estimated : methods.isEmpty ? nil : .aligned
        return (stitched, method)
    }

    /// One piece through the whole-upload path, retried on a provider failure.
    private func transcribePiece(_ piece: AudioPiece, of job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> (Transcript, AlignedTranscript.Method?) {
        var inner = job
        inner.file = MultipartForm.File(filename: "piece-\(piece.index).wav", contentType: "audio/wav", data: piece.wav)
        inner.info = AudioInfo(container: "wav", codec: "pcm_s16le", duration: piece.seconds, sampleRate: LongAudioSplitter.sampleRate, channels: 1)
        inner.options.stream = false
        // Times are needed to stitch segments; text alone is enough for json and text.
        inner.options.format = Self.needsTimes(job) ? (Self.diarizes(model) ? .diarizedJSON : .verboseJSON) : .json
        var attempt = 1
        while true {
            do {
                let result = try await transcribeWhole(inner, model: model)
                if case .upstreamAnswer(let response) = result.answer, response.status >= 500 || response.status == 429,
                   attempt < Self.pieceAttempts {
                    attempt += 1
                    continue
                }
                return (try await result.answer.transcript(provider: config.name), result.timestamps)
            } catch where attempt < Self.pieceAttempts && error.isRetryablePieceFailure {
                attempt += 1
            }
        }
    }

    /// The pieces' transcripts as one: times offset by each piece's start, segments renumbered, texts joined.
    static func stitch(_ pieces: [(start: Double, transcript: Transcript)], duration: Double, language: String?) -> Transcript {
        var segments: [TranscriptSegment] = []
        var words: [TranscriptWord] = []
        var texts: [String] = []
        for (start, transcript) in pieces {
            for word in transcript.words { words.append(TranscriptWord(word: word.word, start: word.start + start, end: word.end + start)) }
            for var segment in transcript.segments {
                segment.id = segments.count
                segment.start += start
                segment.end += start
                segment.words = segment.words.map { TranscriptWord(word: $0.word, start: $0.start + start, end: $0.end + start) }
                segments.append(segment)
            }
            let text = transcript.text.trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { texts.append(text) }
        }
        return Transcript(text: texts.joined(separator: " "), language: pieces.first?.transcript.language ?? language ?? "en",
                          duration: duration, segments: segments, words: words)
    }
}

/// Where a piece was in the whole upload.
struct PiecePlace: Sendable {
    var index: Int
    var startSeconds: Double
}

extension GatewayError {
    /// A provider failure worth sending the same piece again for (unreachable, timed out, answered garbage).
    var isRetryablePieceFailure: Bool {
        [.badGateway, .gatewayTimeout, .serviceUnavailable].contains(status)
    }
}
