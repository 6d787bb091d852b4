/// What a usage report adds up by: `group_by` of `/admin/usage`.
public enum UsageGrouping: String, Sendable, CaseIterable {
    /// The key's id; the master key's rows have none.
    case key
    case model
    /// The UTC date, `YYYY-MM-DD`.
    case day
    case route
}
