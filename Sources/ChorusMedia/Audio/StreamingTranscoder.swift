import NIOConcurrencyHelpers

/// Push-style streaming transcoder: feed input bytes of any supported container as they arrive,
/// get encoded bytes out as soon as the encoder emits them.
///
/// WAV input (the usual upstream format) is parsed here, without libavformat, and is truly
/// incremental: each ``feed(_:)`` encodes every whole sample it brings. Raw PCM input
/// (``Input/pcm(sampleRate:)``) is the same. Other containers are demuxed by libavformat on a
/// dedicated thread whose reads wait for the next ``feed(_:)``; each call returns once that thread
/// has used the new bytes, so the output is just as prompt, and memory holds the input received
/// (bounded by ``AudioLimits/maxInputBytes``).
///
/// No output is returned until the input is recognised as audio, so a caller can still answer
/// with an error when an upstream sends something else. Calls block while they decode and encode,
/// so make them off the event loops (a thread pool); calls from several threads are serialised
/// by a lock, which is what makes the class `Sendable`. Once a call throws, every later call
/// throws the same error.
public final class StreamingTranscoder: @unchecked Sendable {
    /// What the input is.
    public enum Input: Sendable, Hashable {
        /// Recognised from its first bytes: WAV, or any container libavformat reads.
        case detect
        /// Headerless signed 16-bit little-endian mono PCM at `sampleRate` (OpenAI's `pcm`).
        case pcm(sampleRate: Int)
    }

    public let output: AudioFormat
    /// The rate of the encoded audio (the requested rate, or the codec's nearest supported one).
    public let outputSampleRate: Int
    /// Seconds of input audio encoded so far.
    public var secondsEncoded: Double { lock.withLock { pipeline.inputSeconds } }
    /// Input bytes fed so far.
    public var bytesIn: Int { lock.withLock { bytesReceived } }

    private enum Mode {
        case undecided(prefix: [UInt8])
        case wav
        case pcm(sampleRate: Int)
        case demux(StreamingDemuxWorker)
    }

    private let lock = NIOLock()
    private let limits: AudioLimits
    private let pipeline: EncoderPipeline
    private var bytesReceived = 0
    private var mode: Mode
    private var wavParser: WAVStreamParser
    private var wavWriter = WAVBlockWriter()
    private var wavFormat: WAVStreamParser.Format?
    /// libavformat for a WAVE codec other than PCM, fed the sample data behind a clean header.
    private var wavDemuxer: StreamingDemuxWorker?
    private var pcmCarry: UInt8?
    private var recognised = false
    private var finished = false
    private var failure: AudioError?

    public init(output: AudioFormat, sampleRate: Int, bitrate: Int? = nil, limits: AudioLimits = AudioLimits(),
                input: Input = .detect) throws {
        self.output = output
        self.limits = limits
        self.wavParser = WAVStreamParser(headerLimit: limits.probeBytes)
        switch input {
        case .detect:
            mode = .undecided(prefix: [])
        case .pcm(let rate):
            guard (1000...384_000).contains(rate) else {
                throw AudioError.invalidArgument("input sample rate must be between 1000 and 384000 Hz, not \(rate)")
            }
            mode = .pcm(sampleRate: rate)
        }
        pipeline = try EncoderPipeline(format: output, sampleRate: sampleRate, bitrate: bitrate, streaming: true)
        pipeline.maxSeconds = limits.maxDurationSeconds
        outputSampleRate = pipeline.outputRate
    }

    /// Transcodes `bytes`; returns the encoded bytes ready so far (may be empty).
    public func feed(_ bytes: [UInt8]) throws -> [UInt8] {
        try guarded {
            guard !finished else { throw AudioError.encoderFailed("the transcoder is finished") }
            bytesReceived += bytes.count
            guard bytesReceived <= limits.maxInputBytes else {
                throw AudioError.tooLarge("the input is more than the \(limits.maxInputBytes) bytes allowed")
            }
            try consume(bytes)
            return recognised ? try pipeline.takeOutput() : []
        }
    }

    /// Ends the input, flushes the decoder and encoder, and returns the last bytes (with anything
    /// held back so far). Throws when the input was empty, not audio, or ended early.
    public func finish() throws -> [UInt8] {
        try guarded {
            guard !finished else { return [] }
            finished = true
            switch mode {
            case .undecided(let prefix):
                if prefix.isEmpty { throw AudioError.notAudio("the input is empty") }
                throw AudioError.notAudio("the input is too short to be audio (\(prefix.count) bytes)")
            case .wav:
                try wavParser.finish()
                if wavParser.dataBytes < (wavFormat?.blockAlign ?? 1) {
                    throw AudioError.truncated("the input holds no audio samples")
                }
                try wavDemuxer?.finish()
            case .pcm:
                if bytesReceived < 2 { throw AudioError.notAudio("the input is empty") }
            case .demux(let worker):
                try worker.finish()
            }
            recognised = true
            return try pipeline.finish()
        }
    }

    private func consume(_ bytes: [UInt8]) throws {
        switch mode {
        case .undecided(var prefix):
            prefix.append(contentsOf: bytes)
            guard prefix.count >= 12 else {
                mode = .undecided(prefix: prefix)
                return
            }
            if WAVStreamParser.looksLikeWAV(prefix) {
                mode = .wav
                try consumeWAV(prefix)
            } else {
                try startDemuxer(with: prefix)
            }
        case .wav:
            try consumeWAV(bytes)
        case .pcm(let rate):
            recognised = true
            try consumePCM(bytes, rate: rate)
        case .demux(let worker):
            if try worker.feed(bytes) { recognised = true }
        }
    }

    private func consumeWAV(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            try wavParser.push(raw, start: { format, declaredBytes in
                wavFormat = format
                try AudioDecoder.checkDeclaredSize(declaredBytes, format: format, limits: limits)
                if format.isDirectPCM {
                    recognised = true
                } else {
                    let demuxer = try StreamingDemuxWorker(sink: pipeline, limits: limits)
                    wavDemuxer = demuxer
                    if try demuxer.feed(format.cleanHeader()) { recognised = true }
                }
            }, samples: { block in
                if let wavDemuxer {
                    if try wavDemuxer.feed(Array(block)) { recognised = true }
                } else if let wavFormat {
                    try wavWriter.write(block, format: wavFormat, to: pipeline)
                }
            })
        }
    }

    private func consumePCM(_ bytes: [UInt8], rate: Int) throws {
        var body = bytes[...]
        if let carry = pcmCarry, let first = body.first {
            let pair = [carry, first]
            try pair.withUnsafeBytes { try pipeline.write(packed: $0, spec: .mono16(rate: rate)) }
            body = body.dropFirst()
            pcmCarry = nil
        }
        let whole = body.count & ~1
        if whole > 0 {
            try body.withUnsafeBytes { raw in
                try pipeline.write(packed: UnsafeRawBufferPointer(rebasing: raw[0..<whole]), spec: .mono16(rate: rate))
            }
        }
        if body.count > whole { pcmCarry = body.last }
    }

    private func startDemuxer(with bytes: [UInt8]) throws {
        let worker = try StreamingDemuxWorker(sink: pipeline, limits: limits)
        mode = .demux(worker)
        if try worker.feed(bytes) { recognised = true }
    }

    private func guarded(_ body: () throws -> [UInt8]) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        do {
            return try body()
        } catch {
            let failure = error as? AudioError ?? .corrupt("\(error)")
            self.failure = failure
            if case .demux(let worker) = mode { worker.cancel() }
            wavDemuxer?.cancel()
            throw failure
        }
    }
}
