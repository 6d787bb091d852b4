import ChorusEngines
import ChorusWire
import NIOConcurrencyHelpers

extension CascadeSession {
    func enqueue(_ work: CascadeWork) {
        queued += 1
        queue.yield(work)
    }

    /// Suspends the client's next event while too much work waits (back-pressure on `receive`).
    func room() async {
        while queued > Self.maxQueued, ended == nil {
            await withCheckedContinuation { roomWaiters.append($0) }
        }
    }

    /// The worker: turns and responses in the order they were asked for.
    func runQueue(_ work: AsyncStream<CascadeWork>) async {
        for await item in work {
            if ended != nil { break }
            switch item {
            case .turn(let id, let samples, let respond):
                await recognise(id: id, samples: samples)
                if respond { await runResponse(nil) }
            case .respond(let response):
                askedResponses -= 1
                await runResponse(response)
            }
            queued -= 1
            let waiters = roomWaiters
            roomWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    /// The turn's words, added to the conversation (and told to the client when transcription is on).
    func recognise(id: String, samples: [Int16]) async {
        let seconds = Double(samples.count) / Double(PCM16Wire.sampleRate)
        let transcript: String
        do {
            transcript = try await Self.transcribe(samples, with: engines.recogniser)
        } catch {
            let message = CascadeEventError.server("The turn could not be recognised.", requestID: requestID)
            sink.send(["type": "conversation.item.input_audio_transcription.failed", "item_id": .string(id), "content_index": 0,
                       "error": ["type": .string(message.type), "code": .string(message.code), "message": .string(message.message)]])
            return
        }
        totals.inputAudioSeconds += seconds
        if settings.transcriptionModel != nil || settings.type == "transcription" {
            sink.send(["type": "conversation.item.input_audio_transcription.completed", "item_id": .string(id), "content_index": 0,
                       "transcript": .string(transcript), "usage": ["type": "duration", "seconds": .number(seconds)]])
        }
        sink.send(["type": "conversation.item.done", "item": Self.userAudioItem(id: id, transcript: transcript)])
        conversation.append((id, CascadeChat.Turn(role: "user", text: transcript)))
    }

    /// Off the actor: the conversion to the recogniser's 16 kHz, then the recogniser's thread.
    nonisolated static func transcribe(_ samples: [Int16], with engine: PocketSphinxEngine) async throws -> String {
        let converted = PCMResampler.resample(samples, from: PCM16Wire.sampleRate, to: PocketSphinxEngine.sampleRate)
        return try await engine.transcribe(dithered(converted)).text
    }

    /// ±2 LSB of fixed pseudo-random noise (what sphinx's `-dither` adds): stretches of digital silence around a
    /// turn — a client that sends exact zeros between words — otherwise pull the recogniser's normalisation far
    /// off (measured: "please turn off the lights in the kitchen" heard as nothing like it). Seeded, so the same
    /// turn always gives the same transcript.
    nonisolated static func dithered(_ samples: [Int16]) -> [Int16] {
        var state: UInt32 = 0x2545_F491
        return samples.map { sample in
            state = state &* 1_664_525 &+ 1_013_904_223
            let noise = Int32(state >> 29) - 4  // -4…3, halved below
            return Int16(clamping: Int32(sample) + noise / 2)
        }
    }

    /// One response, run in its own task so `response.cancel` (or the caller speaking again) can stop it.
    func runResponse(_ overrides: JSONValue?) async {
        var request = CascadeResponseRequest(settings: settings, conversation: conversation.map(\.turn))
        if let overrides, !overrides.isNull {
            do {
                try request.apply(overrides, presets: engines.presets) { self.item($0) }
            } catch {
                sink.send(error)
                return
            }
        }
        guard let chat else {
            sink.send(CascadeEventError(code: "model_not_configured",
                                        message: "'\(model)' has no chat_model configured to answer with; it can only transcribe."))
            return
        }
        let id = sink.makeID("resp")
        let itemID = sink.makeID("item")
        let reason = NIOLockedValueBox("client_cancelled")
        let response = CascadeResponse(id: id, itemID: itemID, previousItemID: request.outOfBand ? nil : lastItemID, request: request,
                                       sink: sink, chat: chat, voice: engines.voice, requestID: requestID, cancelReason: reason)
        if !request.outOfBand { lastItemID = itemID }
        let task = Task { await response.run() }
        current = (id, task, reason)
        let outcome = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        current = nil
        totals += outcome.usage
        if !request.outOfBand, !outcome.text.isEmpty {
            conversation.append((itemID, CascadeChat.Turn(role: "assistant", text: outcome.text)))
        }
    }

    /// Stops the response being given (`id`, when named, must be it); false when there is none.
    @discardableResult
    func cancelResponse(reason: String, id: String?) -> Bool {
        guard let current, id == nil || id == current.id else { return false }
        current.reason.withLockedValue { $0 = reason }
        current.task.cancel()
        return true
    }
}
