/// The sums over one group of usage rows. Columns a row left empty (no tokens, no cost) add nothing.
public struct UsageTotals: Sendable, Equatable {
    /// The group's value as text: a key id, a model or route name, a `YYYY-MM-DD` date; nil for the master key's
    /// rows (by key) or rows without a model.
    public var group: String?
    /// The key's name when grouping by key and the key still exists.
    public var keyName: String?
    public var requests = 0
    public var promptTokens = 0
    public var completionTokens = 0
    public var totalTokens = 0
    public var characters = 0
    public var audioSeconds = 0.0
    public var images = 0
    public var cost = 0.0
    /// Rows with a status of 400 or more (refusals, upstream failures, callers who left).
    public var errors = 0

    public init(group: String?, keyName: String? = nil) {
        self.group = group
        self.keyName = keyName
    }
}
