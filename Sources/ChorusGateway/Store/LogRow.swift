/// A `generation_logs` row as read back (CLI, admin, tests): its id and the record that was written, whose
/// fields read straight through (`row.status`, `row.totalTokens`).
@dynamicMemberLookup
public struct LogRow: Sendable, Equatable, Decodable {
    public var id: Int64
    public var usage: UsageRecord

    public init(id: Int64, usage: UsageRecord) {
        self.id = id
        self.usage = usage
    }

    public subscript<T>(dynamicMember keyPath: KeyPath<UsageRecord, T>) -> T { usage[keyPath: keyPath] }

    enum CodingKeys: String, CodingKey { case id }

    /// The same columns as `UsageRecord`, plus `id`: the record decodes itself from the same row.
    public init(from decoder: any Decoder) throws {
        id = try decoder.container(keyedBy: CodingKeys.self).decode(Int64.self, forKey: .id)
        usage = try UsageRecord(from: decoder)
    }
}
