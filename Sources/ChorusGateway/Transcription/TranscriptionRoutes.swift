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
/// checked to be audio and handed to the model's transcription provider; Chorus renders text, srt, vtt and
/// verbose_json itself when the provider cannot.
struct TranscriptionRoutes: Sendable {
    let services: GatewayServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("audio/transcriptions") { request, context in try await handle(request, context: context, task: .transcribe) }
        group.post("audio/translations") { request, context in try await handle(request, context: context, task: .translate) }
    }

    @dynamicMemberLookup
    struct Parameters: Sendable {
        var model: String
        var file: MultipartForm.File
        var options: TranscriptionOptions

        subscript<T>(dynamicMember path: KeyPath<TranscriptionOptions, T>) -> T { options[keyPath: path] }

        init(_ form: MultipartForm) throws(GatewayError) {
            guard let file = form.file("file"), file.data.readableBytes > 0 else { throw .missingParameter("file") }
            guard let model = form.field("model"), !model.isEmpty else { throw .missingParameter("model") }
            let formatName = form.field("response_format") ?? "json"
            guard let format = TranscriptFormat(rawValue: formatName) else {
                throw .invalidParameter("response_format", "'response_format' must be one of json, text, srt, verbose_json, vtt, diarized_json; got '\(GatewayError.echo(formatName))'.")
            }
            let temperature = form.field("temperature")
            if let temperature, Double(temperature).map({ (0...1).contains($0) }) != true {
                throw .invalidParameter("temperature", "'temperature' must be a number between 0 and 1.")
            }
            let granularities = form.fieldValues("timestamp_granularities[]") + form.fieldValues("timestamp_granularities")
            for value in granularities where value != "word" && value != "segment" {
                throw .invalidParameter("timestamp_granularities", "'timestamp_granularities' values must be 'word' or 'segment'.")
            }
            let stream: Bool
            switch form.field("stream")?.lowercased() {
            case nil, "", "false", "0": stream = false
            case "true", "1": stream = true
            default: throw .invalidParameter("stream", "'stream' must be true or false.")
            }
            self.model = model
            self.file = file
            options = TranscriptionOptions(format: format, language: try LanguageTag.checked(form.field("language").flatMap { $0.isEmpty ? nil : $0 }),
                                           prompt: form.field("prompt"), temperature: temperature, granularities: granularities,
                                           stream: stream)
            try readDiarization(form)
        }
    }

    static let maxKnownSpeakers = 4

    func handle(_ request: Request, context: GatewayRequestContext, task: TranscriptionTask) async throws -> Response {
        let trace = try context.requireTrace()
        let form = try await MultipartForm.read(request, limit: services.maxUploadBytes, trace: trace)
        let parameters = try Parameters(form)
        trace.update {
            $0.model = parameters.model
            $0.stream = parameters.stream
            $0.promptSummary = parameters.file.filename.map { "file \($0)" }
        }
        let caller = try context.requireCaller()
        let model = try services.catalog.resolve(parameters.model, for: caller, capability: task.capability, trace: trace)
        // The upload stays in the buffer the multipart reader gathered it into: the decoder reads it in place
        // and the provider gets that same buffer, so a 25 MB upload is never copied a second time.
        let audio = parameters.file.data
        let longest = model.provider.transcription?.longestUpload ?? model.provider.config.maxAudioSeconds
        let limits = AudioLimits(maxInputBytes: services.maxUploadBytes, maxDurationSeconds: longest)
        // Checks the upload is audio. A duration that is only a bit-rate estimate is measured later, where it
        // costs no waiting: decoding measures it, and a forwarded file is measured while it is being sent.
        var info = try await Offload.run { () throws(GatewayError) in
            do {
                return try audio.withUnsafeReadableBytes {
                    try AudioDecoder.probe($0, limits: limits, measureEstimatedDuration: false)
                }
            } catch {
                throw .invalidParameter("file", "The uploaded file is not audio Chorus can decode (\(GatewayError.audioReason(error))).")
            }
        }
        trace.update { $0.audioSeconds = info.duration }
        info = try await Self.checkLength(info, of: audio, limits: limits, provider: model.providerName)
        trace.update { $0.audioSeconds = info.duration }
        let job = TranscriptionJob(task: task, file: parameters.file, info: info, limits: limits, options: parameters.options)
        let (result, _) = try await services.failover.run(model, caller: caller, capability: task.capability, trace: trace) {
            model throws(GatewayError) in
            if task == .translate, let via = model.config.translationVia {
                return try await TranslationPipeline(catalog: services.catalog, caller: caller, trace: trace).translate(job, via: via)
            }
            guard let provider = model.provider.transcription else { throw model.provider.missing(task.capability) }
            return try await provider.transcribe(job, model: model.config)
        }
        if let seconds = result.audioSeconds { trace.update { $0.audioSeconds = seconds } }
        switch result.answer {
        case .upstreamAnswer(let answer):
            return try await UpstreamPassthrough(trace: trace).response(for: answer, connection: context.connection, watchClientClose: parameters.stream)
        case .live(let events):
            return Self.streamed(events, trace: trace)
        case .transcript(let transcript) where parameters.stream:
            let events = [SSE.frame(["type": "transcript.text.delta", "delta": .string(transcript.text)]),
                          SSE.frame(["type": "transcript.text.done", "text": .string(transcript.text)])]
            trace.update { $0.bytesOut = events.reduce(0) { $0 + $1.readableBytes } }
            trace.finishWhole(status: 200)
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(contentsOf: events))
        case .body(let body, let contentType):
            trace.update { $0.bytesOut = body.readableBytes }
            trace.finishWhole(status: 200)
            return Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: body))
        case .transcript(let transcript):
            let body = TranscriptRenderer.render(transcript, as: parameters.format, task: task.rawValue,
                                                 includeWords: parameters.granularities.contains("word"))
            trace.update { $0.bytesOut = body.count }
            trace.finishWhole(status: 200)
            var headers: HTTPFields = [.contentType: parameters.format.contentType]
            // Times that are not the provider's say so: aligned locally to its text, or spread evenly.
            if let method = result.timestamps { headers[Self.timestampsHeader] = method.rawValue }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    static let timestampsHeader = HTTPField.Name("x-chorus-timestamps")!

    /// Refuses an upload longer than the provider's `max_audio_seconds` before any decoding: at once when the
    /// container states its length, after a packet scan (~50 ms for 25 MB) when the length is only a bit-rate
    /// estimate over the limit. A length the container understates is caught while decoding instead.
    static func checkLength(_ info: AudioInfo, of audio: ByteBuffer, limits: AudioLimits, provider: String) async throws(GatewayError) -> AudioInfo {
        let limit = limits.maxDurationSeconds
        guard let stated = info.duration, stated > limit + 0.1 else { return info }
        guard info.durationIsEstimate else {
            throw .audioTooLong(seconds: stated, limit: limit, provider: provider, param: "file")
        }
        let measured = try await Offload.cancellable { flag throws(GatewayError) in
            do {
                return try audio.withUnsafeReadableBytes {
                    try AudioDecoder.probe($0, limits: limits, measureEstimatedDuration: true, cancellation: flag)
                }
            } catch {
                throw .undecodableUpload(error, limit: limit, provider: provider, what: "read")
            }
        }
        if let seconds = measured.duration, seconds > limit + 0.1 {
            throw .audioTooLong(seconds: seconds, limit: limit, provider: provider, param: "file")
        }
        return measured
    }

    /// `transcript.text.delta` events as the recogniser's hypothesis grows, then `transcript.text.done`.
    static func streamed(_ events: AsyncThrowingStream<TranscriptEvent, any Error>, trace: RequestTrace) -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            var bytesOut = 0
            do {
                for try await event in events {
                    let frame: ByteBuffer
                    switch event {
                    case .delta(let text): frame = SSE.frame(["type": "transcript.text.delta", "delta": .string(text)])
                    case .done(let text): frame = SSE.frame(["type": "transcript.text.done", "text": .string(text)])
                    }
                    bytesOut += frame.readableBytes
                    try await writer.write(frame)
                    trace.markFirstByte()
                }
            } catch {
                trace.update { $0.error = "transcription failed: \(error)" }
            }
            try await writer.finish(nil)
            trace.update { $0.bytesOut = bytesOut }
            trace.finish(status: 200)
        })
    }
}
