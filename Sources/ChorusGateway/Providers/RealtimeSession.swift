/// The far side of a client's realtime socket: a provider's upstream socket (pass-through) or an in-process engine
/// (the offline cascade). The realtime route owns the client socket and pumps frames both ways through this.
protocol RealtimeSession: Sendable {
    /// Frames for the client, in order; finishes when the session ends from this side (then `closeReason` is set).
    var outbound: AsyncStream<RealtimeFrame> { get }
    /// A frame from the client; suspends while the session cannot take more (back-pressure towards the client).
    func receive(_ frame: RealtimeFrame) async
    /// Ends the session from the client's side (client gone, gateway stopping); idempotent; `outbound` finishes after.
    func close(_ reason: RealtimeClose) async
    /// Why the session ended from this side, once `outbound` has finished; nil while it is open.
    func closeReason() async -> RealtimeClose?
    /// Usage so far; the route reads it when the session ends, however it ends, for the session's usage row.
    func usage() async -> RealtimeUsage
}
