import Foundation
import ChorusWire
import Hummingbird

/// The public model catalog (no key): `GET /api/models` (search, filter, pages), `GET /api/models/{id_or_slug}`
/// and `GET /api/categories`. It lists exactly the configured models, whatever a key may use: it is the
/// platform's shop window, and says nothing about providers.
struct PublicCatalogRoutes: Sendable {
    let entries: [CatalogEntry]

    /// `per_page` past this is clamped to it (a page of the whole catalog in one call is what `per_page` is for,
    /// up to a size a browser lists comfortably).
    static let maxPerPage = 100
    static let defaultPerPage = 20

    init(catalog: ModelCatalog, voices: [String]) {
        entries = catalog.all.map { CatalogEntry(model: $0, voices: voices) }
    }

    func register(on router: Router<GatewayRequestContext>) {
        let group = router.group("api")
        group.get("models") { request, _ in try list(request) }
        group.get("models/{id_or_slug}") { _, context in try retrieve(context.parameters.get("id_or_slug") ?? "") }
        group.get("categories") { _, _ in categories() }
    }

    func list(_ request: Request) throws -> Response {
        let query = try QueryParameters(request, allowed: ["q", "category", "type", "page", "per_page"], emptyIsAbsent: true)
        let page = try query.int("page", in: 1...1_000_000) ?? 1
        let perPage = min(try query.int("per_page", in: 1...Int.max) ?? Self.defaultPerPage, Self.maxPerPage)
        var matching = entries
        if let q = query.string("q") { matching = matching.filter { $0.matches(query: q) } }
        if let category = query.string("category") {
            matching = matching.filter { $0.category.caseInsensitiveCompare(category) == .orderedSame }
        }
        if let type = query.string("type") { matching = matching.filter { $0.type == type.lowercased() } }
        let start = min((page - 1) * perPage, matching.count)
        let slice = matching[start..<min(start + perPage, matching.count)]
        return .json([
            "data": .array(slice.map(\.json)),
            "meta": ["page": .number(page), "per_page": .number(perPage), "total": .number(matching.count)],
        ])
    }

    func retrieve(_ idOrSlug: String) throws -> Response {
        guard let entry = entry(idOrSlug) else {
            throw GatewayError.notFound("No model '\(GatewayError.echo(idOrSlug))' in the catalog.", param: "id_or_slug")
        }
        return .json(entry.json)
    }

    /// By catalog id, then slug, then name (as `ModelCatalog.lookup`).
    private func entry(_ idOrSlug: String) -> CatalogEntry? {
        if let id = Int(idOrSlug), let entry = entries.first(where: { $0.model.catalogID == id }) { return entry }
        return entries.first { $0.model.slug == idOrSlug } ?? entries.first { $0.model.name == idOrSlug }
    }

    /// Categories that have models, by name, with how many.
    func categories() -> Response {
        var counts: [String: Int] = [:]
        for entry in entries { counts[entry.category, default: 0] += 1 }
        let data = counts.keys.sorted().map { name -> JSONValue in ["name": .string(name), "count": .number(counts[name] ?? 0)] }
        return .json(["data": .array(data)])
    }
}
