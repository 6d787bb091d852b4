extension GatewayServices {
    /// The trace of a model call Chorus makes on a caller's behalf inside another request (the realtime engine's
    /// chat turns, a long-context request's map and reduce calls): a usage row of its own, the caller's key,
    /// priced as the model that answers. `requestID`: the row's request id (nil: a new one).
    func callTrace(route: String, caller: Caller, model: String, stream: Bool = false, requestID: String? = nil) -> RequestTrace {
        let trace = RequestTrace(route: route, method: "POST", usageLog: usageLog, metrics: metrics, logger: logger,
                                 pricing: { [catalog] in catalog.resolve($0)?.config.price }, requestID: requestID)
        trace.update {
            $0.keyID = caller.keyID
            $0.model = model
            $0.stream = stream
        }
        return trace
    }
}
