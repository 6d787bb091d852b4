import NIOConcurrencyHelpers

/// A session the realtime route opened for an upgrade request, handed from the route (which runs inside the
/// router, behind the key and limit middleware) to the endpoint that upgrades the socket.
struct RealtimeAdmission: Sendable {
    let session: any RealtimeSession
    /// The request's usage row: finished once, when the session ends, however it ends.
    let trace: RequestTrace
    let opened: ContinuousClock.Instant
}

/// Where the route leaves its admission: one box per upgrade request, reached through a task local because the
/// router's middleware passes only the request and its context along.
final class RealtimeAdmissionBox: Sendable {
    @TaskLocal static var current: RealtimeAdmissionBox?

    private let admission = NIOLockedValueBox<RealtimeAdmission?>(nil)

    func put(_ value: RealtimeAdmission) { admission.withLockedValue { $0 = value } }

    func take() -> RealtimeAdmission? {
        admission.withLockedValue { value in
            defer { value = nil }
            return value
        }
    }
}
