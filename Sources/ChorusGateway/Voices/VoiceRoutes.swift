import ChorusEngines
import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// The voice library: `GET|POST /audio/voices`, `GET|DELETE /audio/voices/{id}`, and LoLLMs' `GET /lollms/v1/audio/voices`.
struct VoiceRoutes: Sendable {
    let services: GatewayServices
    let speech: SpeechServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("audio/voices") { request, _ in try await list(request) }
        group.post("audio/voices") { request, _ in try await create(request) }
        group.get("audio/voices/{id}") { request, context in try await retrieve(request, id: context.parameters.get("id") ?? "") }
        group.delete("audio/voices/{id}") { request, context in try await delete(request, id: context.parameters.get("id") ?? "") }
    }

    func registerLoLLMs(on router: Router<GatewayRequestContext>) {
        router.get("lollms/v1/audio/voices") { request, _ in
            try await services.jsonRoute(request, route: "/lollms/audio/voices") { _, _ in
                ["voices": .array(speech.presets.all.map { .string($0.name) } + (try customVoices()).map { .string($0.id) })]
            }
        }
    }

    static func object(_ voice: VoiceRecord) -> JSONValue {
        ["id": .string(voice.id), "object": "audio.voice", "name": .string(voice.name), "created_at": .number(voice.createdAt),
         "type": "audio_sample", "duration": .number((voice.durationSeconds * 100).rounded() / 100)]
    }

    static func object(_ preset: VoicePreset) -> JSONValue {
        ["id": .string(preset.name), "object": "audio.voice", "name": .string(preset.name), "type": "preset",
         "description": preset.description.map(JSONValue.string) ?? .null]
    }

    private func customVoices() throws(GatewayError) -> [VoiceRecord] {
        do { return try speech.voices.list() } catch { throw .internalError("The voice store is unavailable.") }
    }

    func list(_ request: Request) async throws -> Response {
        try await services.jsonRoute(request, route: "/audio/voices") { _, _ in
            ["object": "list", "data": .array(speech.presets.all.map(Self.object) + (try customVoices()).map(Self.object))]
        }
    }

    func create(_ request: Request) async throws -> Response {
        try await services.jsonRoute(request, route: "/audio/voices") { _, trace in
            let name: String?
            let consent: String?
            let sample: [UInt8]
            let limit = speech.sampleLimits.maxBytes * 2
            if MultipartForm.boundary(of: request.headers[.contentType]) != nil {
                let form = try await MultipartForm.read(request, limit: limit, trace: trace)
                name = form.field("name")
                consent = form.field("consent")
                guard let file = form.file("audio_sample") else { throw GatewayError.missingParameter("audio_sample") }
                sample = Array(file.data.readableBytesView)
            } else {
                var request = request
                let body = try await services.collectBody(&request, limit: limit, trace: trace)
                let json = try services.parseJSONObject(body)
                name = try json.optionalString("name")
                consent = try json.optionalString("consent")
                let encoded = try json.requiredString("audio_sample")
                sample = try SpeechParameters.decodeBase64Audio(encoded, param: "audio_sample")
            }
            guard let name else { throw GatewayError.missingParameter("name") }
            let voices = speech.voices
            let record = try await Offload.run { () throws(GatewayError) in try voices.add(name: name, sample: sample, consent: consent) }
            trace.update { $0.audioSeconds = record.durationSeconds; $0.promptSummary = "voice \(record.name)" }
            return Self.object(record)
        }
    }

    func retrieve(_ request: Request, id: String) async throws -> Response {
        try await services.jsonRoute(request, route: "/audio/voices/{id}") { _, _ in
            if let preset = speech.presets.preset(named: id) { return Self.object(preset) }
            // A database failure is the server's problem (500), not a missing voice (404).
            let found: VoiceRecord?
            do { found = try speech.voices.get(id) } catch { throw GatewayError.internalError("Voice lookup failed: \(error)") }
            guard let record = found else { throw GatewayError.notFound("No voice with id '\(id)'.", param: "voice") }
            return Self.object(record)
        }
    }

    func delete(_ request: Request, id: String) async throws -> Response {
        try await services.jsonRoute(request, route: "/audio/voices/{id}") { _, _ in
            let deleted: Bool
            do { deleted = try speech.voices.delete(id) } catch { throw GatewayError.internalError("Voice deletion failed: \(error)") }
            guard deleted else { throw GatewayError.notFound("No voice with id '\(id)'.", param: "voice") }
            return ["id": .string(id), "object": "audio.voice.deleted", "deleted": true]
        }
    }
}
