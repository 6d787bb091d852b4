import ChorusEngines
import ChorusWire

extension CascadeSession {
    /// A manual commit needs at least this much audio (as OpenAI's does).
    static let minimumCommitSamples = PCM16Wire.sampleRate / 10

    /// Appended audio: buffered, and with turn detection on, judged by the VAD (speech start, stop, commit).
    func append(_ samples: [Int16]) throws(CascadeEventError) {
        let limit = Int(engines.maxInputSeconds * Double(PCM16Wire.sampleRate))
        guard buffer.count + samples.count <= limit else {
            throw CascadeEventError(code: "input_audio_buffer_full",
                                    message: "The input audio buffer holds at most \(Int(engines.maxInputSeconds)) s: commit or clear it.",
                                    param: "audio")
        }
        buffer += samples
        guard let detection = settings.turnDetection else { return }
        for event in vad.feed(samples) {
            switch event {
            case .speechStarted(let start):
                let id = sink.makeID("item")
                speechItemID = id
                sink.send(["type": "input_audio_buffer.speech_started", "audio_start_ms": .number(start), "item_id": .string(id)])
                if detection.interruptResponse { cancelResponse(reason: "turn_detected", id: nil) }
            case .speechStopped(let end):
                let id = speechItemID ?? sink.makeID("item")
                sink.send(["type": "input_audio_buffer.speech_stopped", "audio_end_ms": .number(end), "item_id": .string(id)])
                try commit(itemID: id, respond: detection.createResponse)
            }
        }
        if !vad.isSpeaking {
            // Between turns only the padding that may open the next one is kept.
            let keep = (detection.vad.prefixPaddingMs + VoiceActivityDetector.minimumSpeechMs + 200) * PCM16Wire.sampleRate / 1000
            if buffer.count > keep { buffer.removeFirst(buffer.count - keep) }
        }
    }

    /// The buffer becomes a user item, recognised on the worker; `respond` asks for a response after it.
    func commit(itemID: String?, respond: Bool) throws(CascadeEventError) {
        guard itemID != nil || buffer.count >= Self.minimumCommitSamples else {
            throw CascadeEventError(code: "input_audio_buffer_commit_empty",
                                    message: "The input audio buffer holds less than 100 ms of audio; nothing to commit.")
        }
        let id = itemID ?? sink.makeID("item")
        let previous: JSONValue = lastItemID.map(JSONValue.string) ?? .null
        sink.send(["type": "input_audio_buffer.committed", "previous_item_id": previous, "item_id": .string(id)])
        sink.send(["type": "conversation.item.added", "previous_item_id": previous,
                   "item": Self.userAudioItem(id: id, transcript: nil)])
        lastItemID = id
        let samples = buffer
        buffer = []
        speechItemID = nil
        if itemID == nil { vad.reset() }
        enqueue(.turn(itemID: id, samples: samples, respond: respond && settings.type == "realtime"))
    }

    /// `conversation.item.create` with a text message: added to the conversation as it is.
    func addItem(_ item: JSONValue?, previous: String?) throws(CascadeEventError) {
        guard let item else { throw .invalid("item", "'conversation.item.create' needs an 'item'.") }
        let turn = try CascadeResponseRequest.turn(item, param: "item") { self.item($0) }
        let id = item["id"]?.stringValue ?? sink.makeID("item")
        let content: JSONValue = [["type": turn.role == "assistant" ? "output_text" : "input_text", "text": .string(turn.text)]]
        let added: JSONValue = ["id": .string(id), "object": "realtime.item", "type": "message", "status": "completed",
                                "role": .string(turn.role), "content": content]
        let previousID: JSONValue = (previous ?? lastItemID).map(JSONValue.string) ?? .null
        sink.send(["type": "conversation.item.added", "previous_item_id": previousID, "item": added])
        sink.send(["type": "conversation.item.done", "previous_item_id": previousID, "item": added])
        conversation.append((id, turn))
        lastItemID = id
    }

    static func userAudioItem(id: String, transcript: String?) -> JSONValue {
        ["id": .string(id), "object": "realtime.item", "type": "message", "status": "completed", "role": "user",
         "content": [["type": "input_audio", "transcript": transcript.map(JSONValue.string) ?? .null]]]
    }
}
