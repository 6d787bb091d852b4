extension GatewayServices {
    /// A realtime session of the offline engine for `model` (a builtin provider's `realtime` model), on behalf of
    /// `caller`: the realtime route calls this once it has resolved a model served by the builtin provider, and
    /// pumps the client's socket through the session. `requestID` is quoted in the session's server errors.
    func openCascadeSession(model: ResolvedModel, caller: Caller, requestID: String) async throws(GatewayError) -> any RealtimeSession {
        guard let builtin = model.provider as? BuiltinProvider else {
            throw .invalidParameter("model", "'\(model.name)' is not served by the embedded realtime engine.")
        }
        let engines = CascadeEngines(recogniser: try builtin.recogniser(),
                                     voice: CascadeVoice(engine: try builtin.speechEngine(), maxSeconds: builtin.config.maxAudioSeconds),
                                     presets: builtin.presets, maxInputSeconds: min(builtin.config.maxAudioSeconds, 900))
        let chat = model.config.chatModel.map { CascadeChat(services: self, caller: caller, model: $0) }
        return await CascadeSession.open(model: model.name, engines: engines, chat: chat, requestID: requestID)
    }
}
