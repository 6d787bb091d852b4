import ChorusMedia
import Hummingbird
import NIOCore

/// `POST /v1/audio/speech` (and the LoLLMs alias): text to audio in any of the six formats, from the model's
/// speech provider, transcoded and streamed while it is produced; voice cloning from an inline sample or a
/// stored custom voice when the provider can clone.
struct SpeechRoutes: Sendable {
    let services: GatewayServices
    let voices: VoiceServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("audio/speech") { request, context in try await speak(request, context: context) }
    }

    func speak(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let trace = try context.requireTrace()
        var request = request
        let body = try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace)
        let parameters = try SpeechParameters(json: try services.parseJSONObject(body))
        trace.update {
            $0.model = parameters.model
            $0.characters = parameters.input.count
            $0.stream = parameters.streamFormat == .sse
            $0.promptSummary = UsageRecord.summarize(parameters.input)
        }
        let caller = try context.requireCaller()
        let model = try services.catalog.resolve(parameters.model, for: caller, capability: .speech, trace: trace)

        var customID: String?
        var name: String?
        switch parameters.voice {
        case .custom(let id)?: customID = id
        case .named(let voiceName)?: name = voiceName
        case nil: break
        }
        let (result, _) = try await services.failover.run(model, caller: caller, capability: .speech, trace: trace) {
            model throws(GatewayError) in
            guard let provider = model.provider.speech else { throw model.provider.missing(.speech) }
            // A voice is settled per provider: a clone is prepared for the provider that will speak it.
            let voice = try await voices.settle(name: name, customID: customID, inlineSample: parameters.audioSample,
                                                caller: caller, provider: model.providerName, cloning: provider.voiceCloning)
            let job = SpeechJob(input: parameters.input, voice: voice, format: parameters.responseFormat, speed: parameters.speed,
                                instructions: parameters.instructions, language: parameters.language)
            return try await provider.synthesize(job, model: model.config)
        }
        switch result {
        case .upstreamAnswer(let answer):
            return try await UpstreamPassthrough(trace: trace).response(for: answer, connection: nil, watchClientClose: false)
        case .audio(var audio):
            if parameters.responseFormat == .flac { audio = audio.bufferedFLAC(sampleRate: 24000) }
            return try await AudioResponse(trace: trace, format: parameters.responseFormat, streamFormat: parameters.streamFormat,
                                           characters: parameters.input.count)
                .response(audio.chunks, secondsProduced: audio.seconds)
        }
    }
}
