import ChorusEngines
import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// `POST /audio/transcriptions` and `POST /audio/translations`: a multipart upload of any audio container,
/// transcribed by the embedded pocketsphinx engine or a provider; Chorus renders text, srt, vtt and
/// verbose_json itself when the provider cannot.
struct TranscriptionRoutes: Sendable {
    let services: GatewayServices
    let engines: TranscriptionServices

    enum Task: String, Sendable {
        case transcribe, translate
        var route: String { self == .transcribe ? "/audio/transcriptions" : "/audio/translations" }
        var capability: Capability { self == .transcribe ? .transcription : .translation }
    }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("audio/transcriptions") { request, _ in try await handle(request, task: .transcribe) }
        group.post("audio/translations") { request, _ in try await handle(request, task: .translate) }
    }

    struct Parameters: Sendable {
        var model: String
        var file: MultipartForm.File
        var format: TranscriptFormat
        var language: String?
        var prompt: String?
        var temperature: String?
        var granularities: [String]
        var stream: Bool

        init(_ form: MultipartForm) throws(GatewayError) {
            guard let file = form.file("file"), file.data.readableBytes > 0 else { throw .missingParameter("file") }
            guard let model = form.field("model"), !model.isEmpty else { throw .missingParameter("model") }
            let formatName = form.field("response_format") ?? "json"
            guard let format = TranscriptFormat(rawValue: formatName) else {
                throw .invalidParameter("response_format", "'response_format' must be one of json, text, srt, verbose_json, vtt; got '\(formatName)'.")
            }
            self.model = model
            self.file = file
            self.format = format
            language = form.field("language").flatMap { $0.isEmpty ? nil : $0 }
            prompt = form.field("prompt")
            temperature = form.field("temperature")
            if let temperature, Double(temperature).map({ (0...1).contains($0) }) != true {
                throw .invalidParameter("temperature", "'temperature' must be a number between 0 and 1.")
            }
            granularities = form.fieldValues("timestamp_granularities[]") + form.fieldValues("timestamp_granularities")
            for value in granularities where value != "word" && value != "segment" {
                throw .invalidParameter("timestamp_granularities", "'timestamp_granularities' values must be 'word' or 'segment'.")
            }
            switch form.field("stream")?.lowercased() {
            case nil, "", "false", "0": stream = false
            case "true", "1": stream = true
            default: throw .invalidParameter("stream", "'stream' must be true or false.")
            }
        }
    }

    func handle(_ request: Request, task: Task) async throws -> Response {
        let trace = services.trace(route: task.route)
        return try await trace.run {
            let caller = try await services.authenticate(request, trace: trace)
            let form = try await MultipartForm.read(request, limit: services.maxUploadBytes, trace: trace)
            let parameters = try Parameters(form)
            trace.update {
                $0.model = parameters.model
                $0.stream = parameters.stream
                $0.promptSummary = parameters.file.filename.map { "file \($0)" }
            }
            let model = try services.catalog.resolve(parameters.model, for: caller, capability: task.capability)
            trace.update { $0.provider = model.provider.name }
            // The upload stays in the buffer the multipart reader gathered it into: the decoder reads it in place
            // and the provider gets that same buffer, so a 25 MB upload is never copied a second time.
            let audio = parameters.file.data
            let limits = AudioLimits(maxInputBytes: services.maxUploadBytes, maxDurationSeconds: 4 * 3600)
            // Checks the upload is audio. A duration that is only a bit-rate estimate is measured later, where it
            // costs no waiting: decoding measures it, and a forwarded file is measured while it is being sent.
            let info = try await Offload.run { () throws(GatewayError) in
                do {
                    return try audio.withUnsafeReadableBytes {
                        try AudioDecoder.probe($0, limits: limits, measureEstimatedDuration: false)
                    }
                } catch {
                    throw .invalidParameter("file", "The uploaded file is not audio Chorus can decode (\(String(describing: error))).")
                }
            }
            trace.update { $0.audioSeconds = info.duration }
            switch model.provider.type {
            case .builtin:
                return try await builtin(parameters, audio: audio, limits: limits, task: task, trace: trace)
            case .openai:
                return try await upstream(parameters, audio: audio, info: info, limits: limits, model: model, task: task,
                                          trace: trace, request: request)
            case .sdwebui:
                throw GatewayError.notImplemented("Provider '\(model.provider.name)' (sdwebui) does not offer transcription.", param: "model")
            }
        }
    }

    private func builtin(_ p: Parameters, audio: ByteBuffer, limits: AudioLimits, task: Task, trace: RequestTrace) async throws -> Response {
        let pcm = try await Offload.run { () throws(GatewayError) in
            do {
                return try audio.withUnsafeReadableBytes {
                    try AudioDecoder.decode($0, sampleRate: PocketSphinxEngine.sampleRate, limits: limits)
                }
            } catch {
                throw .invalidParameter("file", "The uploaded file could not be decoded (\(String(describing: error))).")
            }
        }
        let engine = try engines.engine()
        trace.update { $0.audioSeconds = pcm.duration }
        if p.stream {
            return streamingResponse(engine: engine, samples: pcm.samples, trace: trace)
        }
        let transcript: Transcript
        do {
            transcript = try await engine.transcribe(pcm.samples)
        } catch {
            throw GatewayError.internalError("Transcription failed: \(error)")
        }
        return render(transcript, p, task: task, trace: trace)
    }

    private func render(_ transcript: Transcript, _ p: Parameters, task: Task, trace: RequestTrace) -> Response {
        let body = TranscriptRenderer.render(transcript, as: p.format, task: task == .transcribe ? "transcribe" : "translate",
                                             includeWords: p.granularities.contains("word"))
        trace.update { $0.bytesOut = body.count }
        trace.finishWhole(status: 200)
        return Response(status: .ok, headers: [.contentType: p.format.contentType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `transcript.text.delta` events as the engine's hypothesis grows, then `transcript.text.done`.
    private func streamingResponse(engine: PocketSphinxEngine, samples: [Int16], trace: RequestTrace) -> Response {
        let (events, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let sent = NIOLockedValueBox("")
        let work = _Concurrency.Task {
            do {
                let transcript = try await engine.transcribe(samples) { partial in
                    // Only growth of the text already sent can be a delta: revisions are folded into `done`.
                    let delta: String? = sent.withLockedValue { sentText in
                        guard partial.hasPrefix(sentText), partial.count > sentText.count else { return nil }
                        let piece = String(partial.dropFirst(sentText.count))
                        sentText = partial
                        return piece
                    }
                    if let delta { continuation.yield(AudioResponse.sseFrame(["type": "transcript.text.delta", "delta": .string(delta)])) }
                }
                let already = sent.withLockedValue { $0 }
                if transcript.text.hasPrefix(already), transcript.text.count > already.count {
                    continuation.yield(AudioResponse.sseFrame(["type": "transcript.text.delta", "delta": .string(String(transcript.text.dropFirst(already.count)))]))
                }
                continuation.yield(AudioResponse.sseFrame(["type": "transcript.text.done", "text": .string(transcript.text)]))
            } catch {
                trace.update { $0.error = "transcription failed: \(error)" }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in work.cancel() }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            var bytesOut = 0
            for await event in events {
                bytesOut += event.readableBytes
                try await writer.write(event)
                trace.markFirstByte()
            }
            try await writer.finish(nil)
            trace.update { $0.bytesOut = bytesOut }
            trace.finish(status: 200)
        })
    }

    /// The upload decoded to 16 kHz mono and written as a WAV file straight into the buffer that is sent: the
    /// decoder hands its samples over as it produces them, and the header goes in front once their number is
    /// known. A long upload converted for a wav16k provider then holds the upload and this buffer, not the samples
    /// and an encoded copy as well. Returns the file and its length in seconds.
    static func wavFile(_ audio: ByteBuffer, expectedSeconds: Double?, limits: AudioLimits) throws(GatewayError) -> (ByteBuffer, Double) {
        let rate = 16000
        let expectedSamples = Int(min(max(expectedSeconds ?? 0, 0), limits.maxDurationSeconds) * Double(rate) * 1.01)
        var buffer = ByteBufferAllocator().buffer(capacity: WAVFile.headerSize + expectedSamples * 2)
        buffer.writeRepeatingByte(0, count: WAVFile.headerSize)
        let decoded: (sampleRate: Int, samples: Int)
        do {
            decoded = try audio.withUnsafeReadableBytes { bytes in
                try AudioDecoder.decode(bytes, sampleRate: rate, limits: limits) { chunk in
                    #if _endian(little)
                    buffer.writeBytes(chunk)
                    #else
                    for sample in chunk.bindMemory(to: Int16.self) { buffer.writeInteger(sample, endianness: .little) }
                    #endif
                }
            }
        } catch {
            throw .invalidParameter("file", "The uploaded file could not be converted (\(String(describing: error))).")
        }
        guard let header = WAVFile.header(sampleRate: decoded.sampleRate, sampleCount: decoded.samples) else {
            throw .invalidParameter("file", "The uploaded audio is too long to send as a WAV file.")
        }
        buffer.setBytes(header, at: buffer.readerIndex)
        return (buffer, Double(decoded.samples) / Double(decoded.sampleRate))
    }

    private func upstream(_ p: Parameters, audio: ByteBuffer, info: AudioInfo, limits: AudioLimits, model: ResolvedModel, task: Task,
                          trace: RequestTrace, request: Request) async throws -> Response {
        let native = model.provider.transcriptionFormats.contains(p.format.rawValue)
        let askFormat = native ? p.format : .verboseJSON
        var file = p.file
        let convert = model.provider.transcriptionInput == "wav16k"
        if convert {
            let expected = info.duration
            let (wav, seconds) = try await Offload.run { () throws(GatewayError) in
                try Self.wavFile(audio, expectedSeconds: expected, limits: limits)
            }
            trace.update { $0.audioSeconds = seconds }
            file = MultipartForm.File(filename: "audio.wav", contentType: "audio/wav", data: wav)
        }
        var fields: [(String, String)] = [("model", model.upstreamModel), ("response_format", askFormat.rawValue)]
        if let language = p.language { fields.append(("language", language)) }
        if let prompt = p.prompt { fields.append(("prompt", prompt)) }
        if let temperature = p.temperature { fields.append(("temperature", temperature)) }
        for granularity in p.granularities { fields.append(("timestamp_granularities[]", granularity)) }
        if p.stream && native { fields.append(("stream", "true")) }
        // The file's own buffer is one of the body's parts, read in place by curl as it sends.
        let (contentType, parts) = MultipartForm.encodeParts(fields: fields, files: [("file", file)])
        let adapter = OpenAICompatibleAdapter(provider: model.provider)
        var upstreamRequest = UpstreamRequest(
            method: "POST", url: adapter.url(task.route), headers: adapter.headers(contentType: contentType, accept: nil),
            body: .buffers(parts), connectTimeout: model.provider.connectTimeout, timeout: model.provider.timeout)
        if p.stream && native { adapter.applyStreamTimeouts(&upstreamRequest) }
        // Measured alongside the transfer (the provider has the whole upload to read first), so the usage row gets
        // the real duration without the packet scan delaying the forwarding.
        async let measured = Self.measuredDuration(of: audio, limits: limits, needed: info.durationIsEstimate && !convert)
        let response = try await services.execute(upstreamRequest, provider: model.provider.name)
        if let seconds = await measured { trace.update { $0.audioSeconds = seconds } }
        if native || response.status != 200 {
            return try await UpstreamPassthrough(services: services, trace: trace).response(for: response, request: request, watchClientClose: p.stream)
        }
        let answer: ByteBuffer
        do { answer = try await response.body.collect(upTo: 16 << 20) } catch {
            throw GatewayError.upstreamFailed(provider: model.provider.name, "the transcription could not be read: \(error)")
        }
        guard let json = try? answer.withUnsafeReadableBytes({ bytes throws(JSONParseError) in try JSONParser.parse(bytes) }),
            let transcript = TranscriptRenderer.transcript(fromVerboseJSON: json)
        else {
            throw GatewayError.upstreamFailed(provider: model.provider.name, "its verbose_json answer could not be read")
        }
        if p.stream {
            let events = [AudioResponse.sseFrame(["type": "transcript.text.delta", "delta": .string(transcript.text)]),
                          AudioResponse.sseFrame(["type": "transcript.text.done", "text": .string(transcript.text)])]
            trace.update { $0.bytesOut = events.reduce(0) { $0 + $1.readableBytes } }
            trace.finishWhole(status: 200)
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(contentsOf: events))
        }
        return render(transcript, p, task: task, trace: trace)
    }
}

extension TranscriptionRoutes {
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

/// The embedded recogniser, loaded on first use (its model takes a moment to load).
public final class TranscriptionServices: Sendable {
    private let pocketsphinx = NIOLockedValueBox<PocketSphinxEngine?>(nil)

    public init() {}

    func engine() throws(GatewayError) -> PocketSphinxEngine {
        do {
            return try pocketsphinx.withLockedValue { engine in
                if let engine { return engine }
                let started = try PocketSphinxEngine()
                engine = started
                return started
            }
        } catch {
            throw .internalError("The embedded recogniser could not start: \(error)")
        }
    }

    public func shutdown() { pocketsphinx.withLockedValue { $0?.shutdown() } }
}
