import ChorusMedia
import NIOCore

/// Cuts a long upload into pieces a provider takes, decoding it once on the calling (offload) thread: samples
/// gather until a piece is full, which is then cut at the quietest 100 ms of its last stretch (a pause between
/// words, not the middle of one), written as 16 kHz mono WAV and handed to the feed. The rest carries over.
struct LongAudioSplitter {
    static let sampleRate = 16000
    /// The longest audio Chorus will split: a day.
    static let maxSeconds = 86400.0

    var pieceSeconds: Double

    /// Decodes `audio` into `feed`; returns the whole length in seconds. Throws what the decoder throws (the upload
    /// is not audio, or the cancellation flag was set).
    func split(_ audio: ByteBuffer, limits: AudioLimits, cancellation: CancellationFlag, into feed: AudioPieceFeed) throws -> Double {
        let pieceSamples = max(Self.sampleRate, Int(pieceSeconds * Double(Self.sampleRate)))
        // The cut is searched in the last fifth of a piece, at most 30 s of it.
        let searchSamples = min(30 * Self.sampleRate, pieceSamples / 5)
        var current: [Int16] = []
        current.reserveCapacity(pieceSamples + Self.sampleRate)
        var emitted = 0
        var index = 0
        var stopped = false

        func emit(_ count: Int) {
            var wav = ByteBufferAllocator().buffer(capacity: WAVFile.headerSize + count * 2)
            wav.writeBytes(WAVFile.header(sampleRate: Self.sampleRate, sampleCount: count) ?? [])
            #if _endian(little)
            current.withUnsafeBytes { wav.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<(count * 2)])) }
            #else
            for sample in current[0..<count] { wav.writeInteger(sample, endianness: .little) }
            #endif
            let piece = AudioPiece(index: index, wav: wav, startSeconds: Double(emitted) / Double(Self.sampleRate),
                                   seconds: Double(count) / Double(Self.sampleRate))
            index += 1
            emitted += count
            current.removeFirst(count)
            if !feed.put(piece) { stopped = true; cancellation.cancel() }
        }

        let limits = AudioLimits(maxInputBytes: limits.maxInputBytes, maxDurationSeconds: Self.maxSeconds, probeBytes: limits.probeBytes)
        _ = try audio.withUnsafeReadableBytes { bytes in
            try AudioDecoder.decode(bytes, sampleRate: Self.sampleRate, limits: limits, cancellation: cancellation) { chunk in
                let samples = chunk.bindMemory(to: Int16.self)
                current.append(contentsOf: samples)
                while !stopped && current.count >= pieceSamples {
                    emit(Self.quietestCut(current, before: pieceSamples, within: searchSamples))
                }
            }
        }
        if !stopped && !current.isEmpty { emit(current.count) }
        return Double(emitted) / Double(Self.sampleRate)
    }

    /// The start of the quietest 100 ms window in `samples[end - within ..< end]`, never 0.
    static func quietestCut(_ samples: [Int16], before end: Int, within: Int) -> Int {
        let window = sampleRate / 10
        var best = end
        var bestEnergy = Double.infinity
        var start = max(window, end - within)
        while start + window <= end {
            var energy = 0.0
            for sample in samples[start..<(start + window)] { energy += Double(sample) * Double(sample) }
            if energy < bestEnergy { (best, bestEnergy) = (start + window / 2, energy) }
            start += window / 2
        }
        return max(1, min(best, end))
    }
}
