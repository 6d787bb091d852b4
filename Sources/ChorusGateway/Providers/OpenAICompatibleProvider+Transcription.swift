import ChorusEngines
import ChorusMedia
import ChorusUpstream
import ChorusWire
import NIOCore

extension OpenAICompatibleProvider: TranscriptionProvider {
    /// Longer than `max_audio_seconds` is split, not refused.
    var longestUpload: Double { max(config.maxAudioSeconds, LongAudioSplitter.maxSeconds) }

    /// Forwards the upload (converted to 16 kHz WAV for `transcription_input: wav16k`), asking for the caller's
    /// format when the provider lists it and verbose_json otherwise. Whatever comes back is read for what it is
    /// (``UpstreamTranscript``): the caller's format passes through as answered, another is rendered by Chorus,
    /// and text where the caller needs times is aligned to the audio locally (``LocalAligner``). Streams and
    /// error answers pass through untouched.
    func transcribe(_ job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> TranscriptionResult {
        if model.transcriptionViaRealtime { return try await transcribeThroughRealtime(job, model: model) }
        if needsSplitting(job) { return try await transcribeInPieces(job, model: model) }
        return try await transcribeWhole(job, model: model)
    }

    /// One request to the provider for the whole upload.
    func transcribeWhole(_ job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> TranscriptionResult {
        let diarizing = Self.diarizes(model)
        // Diarizing models render json, text and diarized_json only; for times they are asked for their speakers'
        // segments, whatever the provider's formats say.
        let native = config.transcriptionFormats.contains(job.format) && !(diarizing && [.srt, .vtt, .verboseJSON].contains(job.format))
        let askFormat: TranscriptFormat = native ? job.format : diarizing ? .diarizedJSON : .verboseJSON
        var file = job.file
        var audioSeconds: Double?
        let convert = config.transcriptionInput == .wav16k
        if convert {
            let audio = job.file.data
            let (expected, limits, provider) = (job.info.duration, job.limits, config.name)
            let (wav, seconds) = try await Offload.cancellable { flag throws(GatewayError) in
                try Self.wavFile(audio, expectedSeconds: expected, limits: limits, provider: provider, cancellation: flag)
            }
            audioSeconds = seconds
            file = MultipartForm.File(filename: "audio.wav", contentType: "audio/wav", data: wav)
        }
        var fields: [(String, String)] = [("model", model.model), ("response_format", askFormat.rawValue)]
        if let language = job.language { fields.append(("language", language)) }
        if let prompt = job.prompt { fields.append(("prompt", prompt)) }
        if let temperature = job.temperature { fields.append(("temperature", temperature)) }
        for granularity in job.granularities { fields.append(("timestamp_granularities[]", granularity)) }
        // Diarizing models need a chunking strategy: `auto` unless the caller chose one.
        if let strategy = job.chunkingStrategy ?? (diarizing ? "auto" : nil) { fields.append(("chunking_strategy", strategy)) }
        for name in job.knownSpeakerNames { fields.append(("known_speaker_names[]", name)) }
        for reference in job.knownSpeakerReferences { fields.append(("known_speaker_references[]", reference)) }
        let streams = job.stream && native
        if streams { fields.append(("stream", "true")) }
        // The file's own buffer is one of the body's parts, read in place by curl as it sends.
        let (contentType, parts) = MultipartForm.encodeParts(fields: fields, files: [("file", file)])
        let request = transport.post(job.task.route, contentType: contentType, accept: nil, body: .buffers(parts), stream: streams)
        // Measured alongside the transfer (the provider has the whole upload to read first), so the usage row gets
        // the real duration without the packet scan delaying the forwarding.
        async let measured = Self.measuredDuration(of: job.file.data, limits: job.limits,
                                                   needed: job.info.durationIsEstimate && !convert)
        let response = try await transport.execute(request)
        if let seconds = await measured { audioSeconds = seconds }
        if streams || response.status != 200 {
            return TranscriptionResult(answer: .upstreamAnswer(response), audioSeconds: audioSeconds)
        }
        // Read for what it is: providers answer JSON when asked for srt, or text where times were asked.
        let body = try await transport.collect(response, limit: 16 << 20, what: "transcription")
        guard let answer = UpstreamTranscript(body: body, contentType: response.header("Content-Type")) else {
            throw GatewayError.upstreamFailed(provider: config.name, "its answer is not a transcript (text, JSON, srt or vtt)")
        }
        if answer.format == job.format && !job.stream {
            return TranscriptionResult(answer: .body(body, contentType: job.format.contentType), audioSeconds: audioSeconds)
        }
        switch answer {
        case .timed(let transcript, _):
            return TranscriptionResult(answer: .transcript(transcript), audioSeconds: audioSeconds)
        case .text(let text, let language, let duration, _):
            guard Self.needsTimes(job) else {
                let transcript = Transcript(text: text, language: language ?? job.language ?? "en",
                                            duration: duration ?? audioSeconds ?? job.info.duration ?? 0, segments: [], words: [])
                return TranscriptionResult(answer: .transcript(transcript), audioSeconds: audioSeconds)
            }
            let aligned = try await align(text, language: language ?? job.language, upload: job)
            return TranscriptionResult(answer: .transcript(aligned.transcript), audioSeconds: aligned.transcript.duration,
                                       timestamps: aligned.method)
        }
    }

    /// Whether the caller's format carries times (srt, vtt, verbose_json, diarized_json).
    static func needsTimes(_ job: TranscriptionJob) -> Bool {
        [.srt, .vtt, .verboseJSON, .diarizedJSON].contains(job.format)
    }

    /// OpenAI's diarizing models (`gpt-4o-transcribe-diarize`) by their provider-side name.
    static func diarizes(_ model: ModelConfig) -> Bool {
        model.model.contains("diarize")
    }

    /// The provider's text given times by the local aligner, on the upload decoded to 16 kHz.
    func align(_ text: String, language: String?, upload job: TranscriptionJob) async throws(GatewayError) -> AlignedTranscript {
        let pcm = try await job.samples16k(provider: config.name, what: "aligned")
        return try await transport.aligner.align(pcm.samples, text: text, language: language)
    }

    /// The upload decoded to 16 kHz mono and written as a WAV file straight into the buffer that is sent: the
    /// decoder hands its samples over as it produces them, and the header goes in front once their number is
    /// known. A long upload converted for a wav16k provider then holds the upload and this buffer, not the samples
    /// and an encoded copy as well. Returns the file and its length in seconds.
    static func wavFile(_ audio: ByteBuffer, expectedSeconds: Double?, limits: AudioLimits, provider: String,
                        cancellation: CancellationFlag? = nil) throws(GatewayError) -> (ByteBuffer, Double) {
        let rate = 16000
        let expectedSamples = Int(min(max(expectedSeconds ?? 0, 0), limits.maxDurationSeconds) * Double(rate) * 1.01)
        var buffer = ByteBufferAllocator().buffer(capacity: WAVFile.headerSize + expectedSamples * 2)
        buffer.writeRepeatingByte(0, count: WAVFile.headerSize)
        let decoded: (sampleRate: Int, samples: Int)
        do {
            decoded = try audio.withUnsafeReadableBytes { bytes in
                try AudioDecoder.decode(bytes, sampleRate: rate, limits: limits, cancellation: cancellation) { chunk in
                    #if _endian(little)
                    buffer.writeBytes(chunk)
                    #else
                    for sample in chunk.bindMemory(to: Int16.self) { buffer.writeInteger(sample, endianness: .little) }
                    #endif
                }
            }
        } catch {
            throw .undecodableUpload(error, limit: limits.maxDurationSeconds, provider: provider, what: "converted")
        }
        guard let header = WAVFile.header(sampleRate: decoded.sampleRate, sampleCount: decoded.samples) else {
            throw .invalidParameter("file", "The uploaded audio is too long to send as a WAV file.")
        }
        buffer.setBytes(header, at: buffer.readerIndex)
        return (buffer, Double(decoded.samples) / Double(decoded.sampleRate))
    }

    /// The duration of `audio` read from every packet, when `needed`; nil when not needed or not measurable (the
    /// estimate already in the usage row stays then).
    static func measuredDuration(of audio: ByteBuffer, limits: AudioLimits, needed: Bool) async -> Double? {
        guard needed else { return nil }
        let seconds: Double?? = try? await Offload.run { () throws(GatewayError) -> Double? in
            try? audio.withUnsafeReadableBytes { try AudioDecoder.probe($0, limits: limits).duration }
        }
        return seconds ?? nil
    }
}
