import Foundation
import HTTPTypes

/// A model's lifecycle (`shutdown_date`, `deprecated_since`, `replacement`, `on_shutdown`) as callers meet it:
/// `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) on every answer for the model, and from the shutdown date on
/// either its replacement serving the call or 410 `model_shut_down`.
extension ModelCatalog {
    static let deprecationHeader = HTTPField.Name("Deprecation")!
    static let sunsetHeader = HTTPField.Name("Sunset")!
    static let remappedHeader = HTTPField.Name("x-chorus-model-remapped")!

    /// `Deprecation: @<seconds>` from `deprecated_since`, else the shutdown date (RFC 9745 lets it lie ahead: "will
    /// be deprecated at that date"), and `Sunset: <HTTP-date>` of the shutdown date. Fixed per model, so built once.
    static func lifecycleHeaders(_ model: ModelConfig) -> HTTPFields {
        var fields = HTTPFields()
        if let deprecated = model.deprecatedSince ?? model.shutdownDate {
            fields[deprecationHeader] = "@\(Int64(deprecated.timeIntervalSince1970))"
        }
        if let shutdown = model.shutdownDate { fields[sunsetHeader] = UTCDay.httpDate(shutdown) }
        return fields
    }

    /// The model that serves a call for `model` now: the model itself until its shutdown date; from then on, for
    /// `remap`, the first model along its replacements that is not shut down — which this caller may use, for this
    /// capability — and otherwise 410. A remap is said in `x-chorus-model-remapped` and the row's `tried`.
    func serving(_ model: ResolvedModel, caller: Caller, capability: Capability,
                 trace: RequestTrace) throws(GatewayError) -> ResolvedModel {
        let now = now()
        guard model.isShutDown(at: now), let shutdown = model.config.shutdownDate else { return model }
        let day = UTCDay.string(shutdown)
        guard model.config.onShutdown == .remap, let replacement = model.config.replacement else {
            throw .modelShutDown(model.name, on: day, replacement: model.config.replacement)
        }
        var passed: [String] = []
        var next = resolve(replacement)
        while let candidate = next, candidate.isShutDown(at: now) {
            // The config refuses cycles; the bound keeps a hand-built catalog from looping.
            guard passed.count < all.count else { break }
            passed.append(candidate.name)
            next = candidate.config.replacement.flatMap(resolve)
        }
        guard let target = next, !target.isShutDown(at: now) else {
            throw .modelShutDown(model.name, on: day, replacement: replacement,
                                 why: resolve(replacement) == nil ? "is not configured" : "is shut down too")
        }
        guard caller.allows(model: target.name) else {
            throw .modelShutDown(model.name, on: day, replacement: target.name, why: "is not available to this API key")
        }
        guard target.supports(capability) else {
            throw .modelShutDown(model.name, on: day, replacement: target.name, why: "does not support \(capability)")
        }
        let via = passed.isEmpty ? "" : " (via \(passed.joined(separator: ", ")))"
        trace.responseHeaders.append(HTTPField(name: Self.remappedHeader, value: "\(model.name) -> \(target.name)"))
        trace.update {
            $0.model = target.name
            $0.tried = "\(model.name): shut down on \(day), remapped to \(target.name)\(via)"
        }
        return target
    }
}

extension ResolvedModel {
    func isShutDown(at now: Date) -> Bool { config.shutdownDate.map { now >= $0 } ?? false }
}
