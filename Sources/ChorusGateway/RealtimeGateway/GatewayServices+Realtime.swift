import Logging

extension GatewayServices {
    /// The one place a realtime session is opened for a resolved model: the offline cascade for the builtin
    /// provider, else its provider's realtime facet (an upstream's WebSocket). No fallbacks: a session is bound
    /// to the model the client asked for.
    func openRealtimeSession(for model: ResolvedModel, caller: Caller, requestID: String,
                             intent: RealtimeIntent = .conversation) async throws(GatewayError) -> any RealtimeSession {
        // The offline engine answers with the gateway's own chat routing, so it is opened here, where the
        // services are, rather than as a facet of the builtin provider.
        if model.provider is BuiltinProvider {
            return try await openCascadeSession(model: model, caller: caller, requestID: requestID)
        }
        guard let realtime = model.provider.realtime else { throw model.provider.missing(.realtime) }
        var logger = logger
        logger[metadataKey: "chorus.request.id"] = .string(requestID)
        return try await realtime.openRealtimeSession(model: model.config, intent: intent, logger: logger)
    }
}
