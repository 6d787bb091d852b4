import ChorusEngines
import ChorusWire
import NIOConcurrencyHelpers

/// The offline realtime engine (`provider: builtin`, `model: realtime`): the OpenAI Realtime protocol (GA events)
/// served in-process by a cascade — server VAD cuts the caller's turns, pocketsphinx recognises them, the
/// configured `chat_model` answers through the gateway's own chat routing, and espeak-ng speaks the answer clause
/// by clause while it streams.
///
/// Client events are handled in `receive`, in order; recognition and responses run one after the other on the
/// session's worker, so `receive` keeps taking audio (and `response.cancel`) while a response is spoken. When
/// more than ``maxQueued`` turns or responses are queued (the running one included), `receive` suspends until one
/// is done: a client that talks faster than the engine answers is slowed down rather than buffered without bound.
/// A second `response.create` while one is queued or spoken is refused (as OpenAI's), so only turns queue.
actor CascadeSession: RealtimeSession {
    static let maxQueued = 2

    nonisolated let outbound: AsyncStream<RealtimeFrame>
    let sink: RealtimeEventSink
    let engines: CascadeEngines
    /// nil when the model has no `chat_model`: the session transcribes, but a response fails.
    let chat: CascadeChat?
    let model: String
    let requestID: String
    let sessionID: String

    var settings: CascadeSettings
    var vad: VoiceActivityDetector
    /// Audio appended since the last commit or clear.
    var buffer: [Int16] = []
    /// The item the turn in progress will become (named from `speech_started` on).
    var speechItemID: String?
    var conversation: [(id: String, turn: CascadeChat.Turn)] = []
    var lastItemID: String?
    var totals = RealtimeUsage()
    var ended: RealtimeClose?

    let queue: AsyncStream<CascadeWork>.Continuation
    var queued = 0
    /// `response.create`s waiting for the worker.
    var askedResponses = 0
    var roomWaiters: [CheckedContinuation<Void, Never>] = []
    var worker: Task<Void, Never>?
    var current: (id: String, task: Task<CascadeResponse.Outcome, Never>, reason: NIOLockedValueBox<String>)?

    private init(model: String, engines: CascadeEngines, chat: CascadeChat?, requestID: String,
                 queue: AsyncStream<CascadeWork>.Continuation) {
        let (outbound, continuation) = AsyncStream<RealtimeFrame>.makeStream()
        self.outbound = outbound
        let prefix = String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 36) + "_"
        sink = RealtimeEventSink(continuation: continuation, prefix: prefix)
        self.engines = engines
        self.chat = chat
        self.model = model
        self.requestID = requestID
        self.queue = queue
        sessionID = "sess_" + prefix + "0"
        let voice = engines.presets.all.first ?? VoicePreset(name: "alloy", espeakVoice: "en")
        settings = CascadeSettings(voice: voice)
        vad = VoiceActivityDetector(settings: settings.turnDetection?.vad ?? .init(), sampleRate: PCM16Wire.sampleRate)
    }

    /// A started session: `session.created` is its first event.
    static func open(model: String, engines: CascadeEngines, chat: CascadeChat?, requestID: String) async -> CascadeSession {
        let (work, queue) = AsyncStream<CascadeWork>.makeStream()
        let session = CascadeSession(model: model, engines: engines, chat: chat, requestID: requestID, queue: queue)
        await session.start(work)
        return session
    }

    private func start(_ work: AsyncStream<CascadeWork>) {
        sink.send(["type": "session.created", "session": settings.json(id: sessionID, model: model)])
        worker = Task { await self.runQueue(work) }
    }

    func receive(_ frame: RealtimeFrame) async {
        guard ended == nil else { return }
        let text: String
        switch frame {
        case .binary:
            sink.send(CascadeEventError(code: "invalid_event", message: "Binary frames are not events: send JSON text frames."))
            return
        case .text(let value):
            text = value
        }
        guard let event = try? JSONParser.parse(Array(text.utf8)), case .object = event else {
            sink.send(CascadeEventError(code: "invalid_json", message: "The event is not a JSON object."))
            return
        }
        let eventID = event["event_id"]?.stringValue
        guard let type = event["type"]?.stringValue else {
            sink.send(CascadeEventError(code: "missing_required_parameter", message: "The event has no 'type'.", param: "type"),
                      clientEventID: eventID)
            return
        }
        do {
            try handle(type, event)
        } catch {
            sink.send(error, clientEventID: eventID)
        }
        await room()
    }

    private func handle(_ type: String, _ event: JSONValue) throws(CascadeEventError) {
        switch type {
        case "session.update":
            guard let update = event["session"] else { throw .invalid("session", "'session.update' needs a 'session' object.") }
            settings = try settings.applying(update, presets: engines.presets)
            if let detection = settings.turnDetection { vad.settings = detection.vad } else { vad.reset() }
            sink.send(["type": "session.updated", "session": settings.json(id: sessionID, model: model)])
        case "input_audio_buffer.append":
            guard let audio = event["audio"]?.stringValue, let samples = PCM16Wire.decode(audio) else {
                throw .invalid("audio", "'audio' must be base64 of little-endian PCM16 at 24 kHz (an even number of bytes).")
            }
            try append(samples)
        case "input_audio_buffer.commit":
            try commit(itemID: nil, respond: false)
        case "input_audio_buffer.clear":
            buffer = []
            vad.reset()
            speechItemID = nil
            sink.send(["type": "input_audio_buffer.cleared"])
        case "conversation.item.create":
            try addItem(event["item"], previous: event["previous_item_id"]?.stringValue)
        case "response.create":
            guard settings.type == "realtime" else { throw .invalid("type", "A transcription session gives no responses.") }
            // One response at a time, as OpenAI's: a second is refused rather than queued behind the first.
            guard current == nil, askedResponses == 0 else {
                throw CascadeEventError(code: "conversation_already_has_active_response",
                                        message: "A response is already in progress; cancel it or wait for response.done.")
            }
            let response = event["response"]
            if let response, !response.isNull {
                // Checked now, so the mistake is reported at once; applied again when the response starts.
                var check = CascadeResponseRequest(settings: settings, conversation: [])
                try check.apply(response, presets: engines.presets) { id in self.item(id) }
            }
            askedResponses += 1
            enqueue(.respond(response))
        case "response.cancel":
            guard cancelResponse(reason: "client_cancelled", id: event["response_id"]?.stringValue) else {
                throw CascadeEventError(code: "response_cancel_not_active", message: "There is no response in progress to cancel.")
            }
        default:
            throw .unknownEvent(type)
        }
    }

    func item(_ id: String) -> CascadeChat.Turn? { conversation.first { $0.id == id }?.turn }

    func close(_ reason: RealtimeClose) async {
        guard ended == nil else { return }
        ended = reason
        current?.task.cancel()
        worker?.cancel()
        queue.finish()
        let waiters = roomWaiters
        roomWaiters = []
        for waiter in waiters { waiter.resume() }
        sink.finish()
    }

    func closeReason() async -> RealtimeClose? { ended }

    func usage() async -> RealtimeUsage { totals }
}
