import Foundation
import ChorusMedia
import ChorusWire

/// What the public catalog says about a model: names, words, what it does and takes. Built from the model's config
/// and capabilities only, so nothing about its provider (URL, key, provider name, upstream model) can reach an
/// answer that needs no key.
struct CatalogEntry: Sendable {
    let model: ResolvedModel
    /// Voice names offered by speech models (the presets every speech provider maps).
    let voices: [String]

    /// The model's kind, from what it does; a model that does several is listed as the first that applies.
    var type: String {
        let capabilities = model.capabilities
        if !capabilities.isDisjoint(with: [.chat, .completions]) { return "chat" }
        if capabilities.contains(.embeddings) { return "embedding" }
        if capabilities.contains(.rerank) { return "rerank" }
        if capabilities.contains(.speech) { return "speech" }
        if !capabilities.isDisjoint(with: [.transcription, .translation]) { return "transcription" }
        if !capabilities.isDisjoint(with: [.images, .imageEdits]) { return "image" }
        return "chat"
    }

    var category: String { model.config.category ?? type }

    /// In `Capability`'s order, so answers are stable.
    var capabilities: [String] {
        let capabilities = model.capabilities
        return Capability.allCases.filter(capabilities.contains).map(\.rawValue)
    }

    /// `q`: name, slug or description contains it, ignoring case.
    func matches(query: String) -> Bool {
        [model.name, model.slug, model.config.description ?? ""].contains { $0.range(of: query, options: .caseInsensitive) != nil }
    }

    var json: JSONValue {
        let config = model.config
        var entry: JSONValue = [
            "id": .number(model.catalogID),
            "slug": .string(model.slug),
            "name": .string(model.name),
            "description": config.description.map(JSONValue.string) ?? .null,
            "category": .string(category),
            "type": .string(type),
            "capabilities": .array(capabilities.map(JSONValue.string)),
        ]
        if let contextLength = config.contextLength { entry.set("context_length", .number(contextLength)) }
        let capabilities = model.capabilities
        if capabilities.contains(.speech) {
            entry.set("formats", .array(AudioFormat.allCases.map { .string($0.rawValue) }))
            entry.set("voices", .array(voices.map(JSONValue.string)))
        } else if !capabilities.isDisjoint(with: [.transcription, .translation]) {
            entry.set("formats", .array(TranscriptFormat.allCases.map { .string($0.rawValue) }))
        } else if !capabilities.isDisjoint(with: [.images, .imageEdits]) {
            let formats = config.imageCaps?.formats ?? ImageFormat.allCases
            entry.set("formats", .array(formats.map { .string($0.rawValue) }))
            if let sizes = config.imageCaps?.sizes { entry.set("sizes", .array(sizes.map(JSONValue.string))) }
        }
        if let price = config.price {
            // What a call costs in points; `reserve` is an admission detail, not a price.
            let parts = ModelPrice.keys.filter { $0 != "reserve" && price[$0] > 0 }.map { ($0, JSONValue.number(price[$0])) }
            entry.set("price", .object(parts))
        }
        if let shutdown = config.shutdownDate { entry.set("shutdown_date", .string(UTCDay.string(shutdown))) }
        if let replacement = config.replacement { entry.set("replacement", .string(replacement)) }
        return entry
    }
}
