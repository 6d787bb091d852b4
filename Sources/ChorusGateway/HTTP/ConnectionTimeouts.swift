import NIOCore

/// The server-side time limits of one client connection, as a value with no timer or channel in it: what the
/// connection is waiting for from the client, and until when. `ConnectionGuard` feeds it the connection's events
/// and acts on `expiry(at:)`; the tests drive it event by event.
///
/// - A request head must be complete within `header` of its first byte (of the connection opening, for the first
///   request: a connection that sends nothing is a slow header too).
/// - Between requests, the next one must start within `idle` of the previous response's end.
/// - While a body is read, the client must send something within `bodyProgress` each time Chorus asks for more.
///   When Chorus is not reading (a handler busy with what it has), the clock stops: back-pressure is not the
///   client's fault. There is no total limit: a slow upload that keeps moving is never cut.
/// - While a response is owed (the request was read whole), the client owes nothing and nothing expires.
struct ConnectionTimeouts {
    struct Limits: Sendable, Equatable {
        var header: TimeAmount
        var idle: TimeAmount
        var bodyProgress: TimeAmount
    }

    enum Expiry: Equatable {
        /// Nothing of a next request arrived in time: close without an answer (no request to answer).
        case idle
        /// A request head started but did not finish in time: answer 408, close.
        case header
        /// A request body stopped arriving: fail the body (the route answers 408), close after the response.
        case body
    }

    private enum Reading: Equatable {
        /// Between requests; `since` is when the connection opened (`first`) or the last response ended.
        case waiting(since: NIODeadline, first: Bool)
        case head(since: NIODeadline)
        /// `lastProgress` is the last byte of body, or the moment Chorus asked for more after a pause.
        case body(lastProgress: NIODeadline)
    }

    let limits: Limits
    private var reading: Reading
    /// Requests whose head has arrived and whose response has not ended (more than one when pipelined).
    private(set) var unanswered = 0
    /// Chorus has asked the socket for more and nothing came yet.
    private var readPending = true

    init(limits: Limits, openedAt now: NIODeadline) {
        self.limits = limits
        reading = .waiting(since: now, first: true)
    }

    /// Bytes came off the socket (before the HTTP decoder saw them).
    mutating func bytesArrived(at now: NIODeadline) {
        readPending = false
        switch reading {
        case .waiting: reading = .head(since: now)
        case .body: reading = .body(lastProgress: now)
        case .head: break
        }
    }

    /// Chorus asked for more bytes. After a pause (nothing was asked while a handler was busy) the body clock
    /// restarts: the client cannot have been late for bytes nobody asked for.
    mutating func readRequested(at now: NIODeadline) {
        guard !readPending else { return }
        readPending = true
        if case .body = reading { reading = .body(lastProgress: now) }
    }

    mutating func headArrived(at now: NIODeadline) {
        unanswered += 1
        reading = .body(lastProgress: now)
    }

    mutating func endArrived(at now: NIODeadline) {
        reading = .waiting(since: now, first: false)
    }

    mutating func responseEnded(at now: NIODeadline) {
        unanswered = max(0, unanswered - 1)
        // The idle clock starts when the last owed response is out, not when its request came in.
        if unanswered == 0, case .waiting = reading { reading = .waiting(since: now, first: false) }
    }

    /// When the current wait runs out, or nil when nothing is asked of the client.
    var deadline: NIODeadline? {
        switch reading {
        case .waiting(let since, let first):
            return unanswered > 0 ? nil : since + (first ? limits.header : limits.idle)
        case .head(let since):
            return since + limits.header
        case .body(let lastProgress):
            return readPending ? lastProgress + limits.bodyProgress : nil
        }
    }

    /// What ran out at `now`, if anything.
    func expiry(at now: NIODeadline) -> Expiry? {
        guard let deadline, now >= deadline else { return nil }
        switch reading {
        case .waiting: return .idle
        case .head: return .header
        case .body: return .body
        }
    }
}
