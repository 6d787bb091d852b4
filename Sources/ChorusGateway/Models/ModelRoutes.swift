import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// `GET /models` (only what the caller's key may use) and `GET /models/{id}`, in OpenAI's list shape.
struct ModelRoutes: Sendable {
    let services: GatewayServices
    /// OpenAI reports a creation time; Chorus reports when the config was loaded.
    let created = Int(Date().timeIntervalSince1970)

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("models") { _, context in try await list(context) }
        group.get("models/{id}") { _, context in try await retrieve(context, id: context.parameters.get("id") ?? "") }
    }

    /// OpenAI's fields, plus what the model may be called for (`capabilities`) and its `shutdown_date`
    /// (`YYYY-MM-DD`) and `replacement` when it has them.
    private func entry(_ model: ResolvedModel) -> JSONValue {
        let capabilities = model.capabilities
        var entry: JSONValue = [
            "id": .string(model.name), "object": "model", "created": .number(created), "owned_by": .string(model.providerName),
            "capabilities": .array(Capability.allCases.filter(capabilities.contains).map { .string($0.rawValue) }),
        ]
        if let shutdown = model.config.shutdownDate { entry.set("shutdown_date", .string(UTCDay.string(shutdown))) }
        if let replacement = model.config.replacement { entry.set("replacement", .string(replacement)) }
        return entry
    }

    func list(_ context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { caller, _ in
            ["object": "list", "data": .array(services.catalog.all.filter { caller.allows(model: $0.name) }.map(entry))]
        }
    }

    func retrieve(_ context: GatewayRequestContext, id: String) async throws -> Response {
        try await services.jsonRoute(context) { caller, trace in
            trace.update { $0.model = id }
            guard let model = services.catalog.resolve(id), caller.allows(model: id) else { throw GatewayError.modelNotFound(id) }
            if !model.lifecycleHeaders.isEmpty { trace.responseHeaders.append(contentsOf: model.lifecycleHeaders) }
            return entry(model)
        }
    }
}
