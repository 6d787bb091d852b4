import ChorusEngines
import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/audio/speech` (and the LoLLMs alias): text to audio in any of the six formats, from the embedded
/// engine or a provider, transcoded and streamed while it is produced; voice cloning from an inline sample or a
/// stored custom voice.
struct SpeechRoutes: Sendable {
    let services: GatewayServices
    let speech: SpeechServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("audio/speech") { request, _ in try await speak(request, route: "/audio/speech") }
    }

    func registerLoLLMs(on router: Router<GatewayRequestContext>) {
        router.post("lollms/v1/audio/speech") { request, _ in try await speak(request, route: "/lollms/audio/speech") }
    }

    func speak(_ request: Request, route: String) async throws -> Response {
        let trace = services.trace(route: route)
        return try await trace.run {
            let caller = try await services.authenticate(request, trace: trace)
            var request = request
            let body = try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace)
            let speechRequest = try SpeechParameters(json: try services.parseJSONObject(body))
            trace.update {
                $0.model = speechRequest.model
                $0.characters = speechRequest.input.count
                $0.stream = speechRequest.streamFormat == .sse
                $0.promptSummary = UsageRecord.summarize(speechRequest.input)
            }
            let model = try services.catalog.resolve(speechRequest.model, for: caller, capability: .speech)
            trace.update { $0.provider = model.provider.name }

            var audio: SynthesizedAudio
            switch model.provider.type {
            case .builtin:
                audio = try await builtin(speechRequest, model: model)
            case .openai:
                switch try await upstream(speechRequest, model: model, trace: trace, request: request) {
                case .audio(let upstreamAudio): audio = upstreamAudio
                case .passthrough(let response): return response
                }
            case .sdwebui:
                throw GatewayError.notImplemented("Provider '\(model.provider.name)' (sdwebui) does not offer speech.", param: "model")
            }
            if speechRequest.responseFormat == .flac { audio = audio.bufferedFLAC(sampleRate: 24000) }
            return try await AudioResponse(trace: trace, format: speechRequest.responseFormat, streamFormat: speechRequest.streamFormat,
                                 characters: speechRequest.input.count)
                .response(audio.chunks, secondsProduced: audio.seconds)
        }
    }

    /// The sample to clone from, normalised for the provider, or nil when the request uses a named voice.
    private func cloneSample(_ request: SpeechParameters, provider: ProviderConfig) async throws(GatewayError) -> [UInt8]? {
        let sample: [UInt8]
        let param: String
        if let inline = request.audioSample {
            (sample, param) = (inline, "audio_sample")
        } else if case .custom(let id) = request.voice {
            (sample, param) = (try speech.voices.sample(id), "voice")
        } else {
            return nil
        }
        guard provider.voiceCloning == "audio_sample" else {
            throw .invalidParameter(param, "Provider '\(provider.name)' cannot clone voices (voice_cloning: \(provider.voiceCloning)); use a named voice.")
        }
        if param == "voice" { return sample }  // stored samples are already normalised
        let limits = speech.sampleLimits
        return try await Offload.run { () throws(GatewayError) in
            try VoiceSample.normalize(sample, sampleRate: VoiceLibrary.sampleRate, limits: limits, param: param).wav
        }
    }

    private func builtin(_ request: SpeechParameters, model: ResolvedModel) async throws -> SynthesizedAudio {
        if request.audioSample != nil || { if case .custom = request.voice { true } else { false } }() {
            _ = try await cloneSample(request, provider: model.provider)  // throws: the embedded engine cannot clone
        }
        guard case .named(let name) = request.voice, let preset = speech.presets.preset(named: name) else {
            let names = speech.presets.all.map(\.name).joined(separator: ", ")
            throw GatewayError.invalidParameter("voice", "Unknown voice. Voices for '\(model.name)': \(names).")
        }
        let engine = try speech.engine()
        do {
            return try SpeechSynthesis.builtin(engine: engine, request: request, preset: preset)
        } catch {
            throw GatewayError.internalError("Could not start the audio encoder: \(error)")
        }
    }

    enum UpstreamSpeech {
        case audio(SynthesizedAudio)
        /// The provider answered with an error: it goes to the client as it is.
        case passthrough(Response)
    }

    private func upstream(_ request: SpeechParameters, model: ResolvedModel, trace: RequestTrace, request httpRequest: Request) async throws -> UpstreamSpeech {
        let sample = try await cloneSample(request, provider: model.provider)
        let produced = SpeechSynthesis.upstreamFormat(wanted: request.responseFormat, provider: model.provider)
        var body: JSONValue = ["model": .string(model.upstreamModel), "input": .string(request.input)]
        if let sample {
            body.set("audio_sample", .string("data:audio/wav;base64," + Data(sample).base64EncodedString()))
        } else if case .named(let name) = request.voice {
            body.set("voice", .string(name))
        }
        body.set("response_format", .string(produced.rawValue))
        if request.speed != 1.0 { body.set("speed", .number(request.speed)) }
        if let instructions = request.instructions { body.set("instructions", .string(instructions)) }
        body = body.merging(defaults: model.config.defaults).merging(defaults: model.provider.defaults)

        let adapter = OpenAICompatibleAdapter(provider: model.provider)
        var upstreamRequest = UpstreamRequest(
            method: "POST", url: adapter.url("/audio/speech"),
            headers: adapter.headers(contentType: "application/json", accept: nil),
            body: .bytes(ByteBuffer(bytes: body.serialized())),
            connectTimeout: model.provider.connectTimeout, timeout: model.provider.timeout)
        // Audio is streamed to the caller as the provider produces it: bounded by stalls, not by total length.
        adapter.applyStreamTimeouts(&upstreamRequest)
        let response = try await services.execute(upstreamRequest, provider: model.provider.name)
        guard response.status == 200 else {
            return .passthrough(try await UpstreamPassthrough(services: services, trace: trace)
                .response(for: response, request: httpRequest, watchClientClose: false))
        }
        do {
            return .audio(try SpeechSynthesis.upstream(response.body, produced: produced, wanted: request.responseFormat,
                                                limits: AudioLimits(maxInputBytes: 512 << 20, maxDurationSeconds: 3600)))
        } catch {
            response.body.cancel()
            throw GatewayError.internalError("Could not start the audio transcoder: \(error)")
        }
    }
}
