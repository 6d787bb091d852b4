import Foundation

/// Which usage rows to read, in which order, from where: the filters of `/admin/logs`, the window of a report,
/// and the cursor of a page (`/admin/logs` pages backwards, `chorus logs export` forwards).
public struct UsageQuery: Sendable, Equatable {
    /// Which keys' rows: one key's, or the master key's (rows with no key id).
    public enum KeyMatch: Sendable, Equatable {
        case key(Int64)
        case master
        /// Rows of requests without a valid key.
        case unauthenticated
    }

    /// An exact status, or a whole class (`class(4)` is 400–499).
    public enum StatusMatch: Sendable, Equatable {
        case exact(Int)
        case `class`(Int)

        /// The half-open range of statuses it admits.
        public var range: Range<Int> {
            switch self {
            case .exact(let status): status..<(status + 1)
            case .class(let hundreds): (hundreds * 100)..<(hundreds * 100 + 100)
            }
        }
    }

    /// Row ids only grow, so id order is the order rows were written and a cursor on it never skips or repeats a
    /// row while new ones arrive.
    public enum Order: Sendable, Equatable {
        /// Ids below `before`, when set, highest first.
        case newestFirst(before: Int64?)
        /// Ids above `after`, when set, lowest first.
        case oldestFirst(after: Int64?)
    }

    public var key: KeyMatch?
    public var model: String?
    public var route: String?
    /// One request's rows (a long-context request writes one per model call under its id).
    public var requestID: String?
    public var status: StatusMatch?
    /// Rows created at or after this time.
    public var since: Date?
    /// Rows created before this time (the window is half-open, so consecutive windows never count a row twice).
    public var until: Date?
    public var order: Order = .newestFirst(before: nil)
    public var limit = 100

    public init(key: KeyMatch? = nil, model: String? = nil, route: String? = nil, requestID: String? = nil, status: StatusMatch? = nil,
                since: Date? = nil, until: Date? = nil, order: Order = .newestFirst(before: nil), limit: Int = 100) {
        self.key = key
        self.model = model
        self.route = route
        self.requestID = requestID
        self.status = status
        self.since = since
        self.until = until
        self.order = order
        self.limit = limit
    }
}
