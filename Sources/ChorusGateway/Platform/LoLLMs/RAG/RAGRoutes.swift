import ChorusWire
import Foundation
import Hummingbird

/// The LoLLMs surface's RAG datastores, on `/lollms/v1` (the group's auth, limits and usage rows):
/// - `POST rag/databases` `{name, description?, is_public?, vectorizer}` creates one; the vectorizer must be an
///   embeddings model the key may use (404 unknown, 403 not allowed, 501 not an embeddings model).
/// - `GET rag/databases` lists the key's own and the public ones; `GET|DELETE rag/databases/{id}` shows one the key
///   sees or deletes one it owns (with its documents).
/// - `POST rag/databases/{id}/documents` adds documents (`RAGRoutes+Documents`); `POST rag/query` searches
///   (`RAGRoutes+Query`).
/// A private datastore of another key is answered like one that does not exist (404); a public one of another key
/// is read and searched, and writing to it is 403. The master key's datastores are its own, as its conversations are.
struct RAGRoutes: Sendable {
    let services: GatewayServices

    static let maxNameCharacters = 200
    static let maxDescriptionCharacters = 4000

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("rag/databases") { request, context in try await create(request, context: context) }
        group.get("rag/databases") { _, context in try await list(context) }
        group.get("rag/databases/{id}") { _, context in try await show(context) }
        group.delete("rag/databases/{id}") { _, context in try await delete(context) }
        group.post("rag/databases/{id}/documents") { request, context in try await addDocuments(request, context: context) }
        group.post("rag/query") { request, context in try await query(request, context: context) }
    }

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        return try await services.jsonRoute(context) { caller, trace in
            trace.markUnpriced()
            let json = try services.parseJSONObject(try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace))
            let name = try Self.text(json, "name", required: true, limit: Self.maxNameCharacters)
            let description = try Self.text(json, "description", required: false, limit: Self.maxDescriptionCharacters)
            let isPublic = try json.optionalBool("is_public") ?? false
            let vectorizer = try json.requiredString("vectorizer")
            trace.update { $0.model = vectorizer; $0.promptSummary = UsageRecord.summarize("datastore \(name)") }
            _ = try RAGVectorizer(services: services).resolve(vectorizer, for: caller, trace: trace)
            let draft = RAGDatastoreDraft(ownerKeyID: caller.ownerKeyID, name: name, description: description, vectorizer: vectorizer,
                                          isPublic: isPublic, createdAt: Date().timeIntervalSince1970)
            return RAGDatastoreJSON.datastore(try await stored { try await services.store.insertDatastore(draft) }, detailed: true)
        }
    }

    func list(_ context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { caller, trace in
            trace.markUnpriced()
            let found = try await stored { try await services.store.datastores(visibleTo: caller.ownerKeyID) }
            return RAGDatastoreJSON.list(found.map { RAGDatastoreJSON.datastore($0) })
        }
    }

    func show(_ context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { caller, trace in
            trace.markUnpriced()
            return RAGDatastoreJSON.datastore(try await visible(Self.pathID(context), to: caller), detailed: true)
        }
    }

    func delete(_ context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { caller, trace in
            trace.markUnpriced()
            let datastore = try await owned(Self.pathID(context), by: caller)
            guard try await stored({ try await services.store.deleteDatastore(id: datastore.id, ownerKeyID: caller.ownerKeyID) }) else {
                throw Self.notFound("id")
            }
            return .object([("id", .number(Int(datastore.id))), ("object", .string("rag.datastore")), ("deleted", .bool(true))])
        }
    }

    // MARK: Shared by the handlers

    /// The datastore when the caller sees it (its own, or public), else 404 naming `param`.
    func visible(_ id: Int64?, to caller: Caller, param: String = "id") async throws(GatewayError) -> RAGDatastore {
        guard let id, let datastore = try await stored({ try await services.store.datastore(id: id, visibleTo: caller.ownerKeyID) }) else {
            throw Self.notFound(param)
        }
        return datastore
    }

    /// The datastore when the caller owns it; 403 for another key's public one (which it sees), 404 otherwise.
    func owned(_ id: Int64?, by caller: Caller) async throws(GatewayError) -> RAGDatastore {
        let datastore = try await visible(id, to: caller)
        guard datastore.ownerKeyID == caller.ownerKeyID else {
            throw GatewayError.forbidden("This datastore is public but not yours: only its owner may change it.", param: "id")
        }
        return datastore
    }

    static func notFound(_ param: String) -> GatewayError { .notFound("Datastore not found", param: param) }

    /// `{id}` of the path; nil (answered 404) when it is not a positive integer.
    static func pathID(_ context: GatewayRequestContext) -> Int64? {
        context.parameters.get("id").flatMap { Int64($0) }.flatMap { $0 >= 1 ? $0 : nil }
    }

    /// A string member, trimmed, at most `limit` characters; "" when optional and absent.
    static func text(_ json: JSONValue, _ key: String, required: Bool, limit: Int) throws(GatewayError) -> String {
        let raw = try required ? json.requiredString(key) : json.optionalString(key) ?? ""
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if required, value.isEmpty { throw .invalidParameter(key, "'\(key)' must not be empty.") }
        guard value.count <= limit else { throw .invalidParameter(key, "'\(key)' is longer than \(limit) characters.") }
        return value
    }

    /// A storage call; its failure is a 500 whose detail (database text) goes to the log and the row only.
    func stored<T: Sendable>(_ body: () async throws -> T) async throws(GatewayError) -> T {
        do {
            return try await body()
        } catch {
            throw .internalError("rag store: \(error)")
        }
    }
}
