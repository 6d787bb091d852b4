import Logging

extension GatewayServices {
    /// The one place a realtime session is opened for a resolved model: its provider's realtime facet (an
    /// upstream's WebSocket, or an in-process engine that implements the facet). No fallbacks: a session is bound
    /// to the model the client asked for.
    func openRealtimeSession(for model: ResolvedModel, caller: Caller, requestID: String,
                             intent: RealtimeIntent = .conversation) async throws(GatewayError) -> any RealtimeSession {
        guard let realtime = model.provider.realtime else { throw model.provider.missing(.realtime) }
        var logger = logger
        logger[metadataKey: "chorus.request.id"] = .string(requestID)
        return try await realtime.openRealtimeSession(model: model.config, intent: intent, logger: logger)
    }
}
