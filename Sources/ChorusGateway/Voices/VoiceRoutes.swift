import ChorusEngines
import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// The voice library: `GET|POST /audio/voices`, `GET|DELETE /audio/voices/{id}`, and LoLLMs' `GET /lollms/v1/audio/voices`.
struct VoiceRoutes: Sendable {
    let services: GatewayServices
    let voices: VoiceServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("audio/voices") { _, context in try await list(context) }
        group.post("audio/voices") { request, context in try await create(request, context: context) }
        group.get("audio/voices/{id}") { _, context in try await retrieve(context, id: context.parameters.get("id") ?? "") }
        group.delete("audio/voices/{id}") { _, context in try await delete(context, id: context.parameters.get("id") ?? "") }
    }

    func registerLoLLMs(on group: RouterGroup<GatewayRequestContext>) {
        group.get("audio/voices") { _, context in
            try await services.jsonRoute(context) { _, _ in
                let custom = try await customVoices(for: try context.requireCaller())
                return ["voices": .array(voices.presets.all.map { .string($0.name) } + custom.map { .string($0.id) })]
            }
        }
    }

    /// A custom voice as `caller` sees it: the master key, which sees every key's voices, also reads whose each is
    /// (`owner_key_id`, null for its own and the CLI's); a key reads only its own, so the field would tell it nothing.
    static func object(_ voice: VoiceRecord, for caller: Caller) -> JSONValue {
        var object: JSONValue = ["id": .string(voice.id), "object": "audio.voice", "name": .string(voice.name),
                                 "created_at": .number(voice.createdAt), "type": "audio_sample",
                                 "duration": .number((voice.durationSeconds * 100).rounded() / 100)]
        if caller.isMaster { object.set("owner_key_id", voice.ownerKeyID.map { .number(Int($0)) } ?? .null) }
        return object
    }

    static func object(_ preset: VoicePreset) -> JSONValue {
        ["id": .string(preset.name), "object": "audio.voice", "name": .string(preset.name), "type": "preset",
         "description": preset.description.map(JSONValue.string) ?? .null]
    }

    private func customVoices(for caller: Caller) async throws(GatewayError) -> [VoiceRecord] {
        do { return try await voices.library.list(for: caller) } catch { throw .internalError("The voice store is unavailable.") }
    }

    /// The shared presets, then the custom voices the caller owns (all of them for the master key).
    func list(_ context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { _, _ in
            let caller = try context.requireCaller()
            let custom = try await customVoices(for: caller)
            return ["object": "list", "data": .array(voices.presets.all.map(Self.object) + custom.map { Self.object($0, for: caller) })]
        }
    }

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { _, trace in
            let name: String?
            let consent: String?
            let sample: [UInt8]
            let limit = voices.sampleLimits.maxBytes * 2
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
                sample = try Base64Payload.decode(encoded, param: "audio_sample", media: "audio")
            }
            guard let name else { throw GatewayError.missingParameter("name") }
            let caller = try context.requireCaller()
            let record = try await voices.library.add(name: name, sample: sample, consent: consent, by: caller)
            trace.update { $0.audioSeconds = record.durationSeconds; $0.promptSummary = "voice \(record.name)" }
            return Self.object(record, for: caller)
        }
    }

    func retrieve(_ context: GatewayRequestContext, id: String) async throws -> Response {
        try await services.jsonRoute(context) { _, _ in
            if let preset = voices.presets.preset(named: id) { return Self.object(preset) }
            // A database failure is the server's problem (500), not a missing voice (404).
            let caller = try context.requireCaller()
            let found: VoiceRecord?
            do { found = try await voices.library.get(id, for: caller) } catch { throw GatewayError.internalError("Voice lookup failed: \(error)") }
            guard let record = found else { throw VoiceLibrary.notFound(id) }
            return Self.object(record, for: caller)
        }
    }

    func delete(_ context: GatewayRequestContext, id: String) async throws -> Response {
        try await services.jsonRoute(context) { _, _ in
            let caller = try context.requireCaller()
            let deleted: Bool
            do { deleted = try await voices.library.delete(id, for: caller) } catch {
                throw GatewayError.internalError("Voice deletion failed: \(error)")
            }
            guard deleted else { throw VoiceLibrary.notFound(id) }
            return ["id": .string(id), "object": "audio.voice.deleted", "deleted": true]
        }
    }
}
