import NIOCore
import Testing

@testable import ChorusUpstream

/// `Transfer.StateMachine` on its own: events in, actions out, no curl and no socket. Waiters are strings
/// standing in for continuations and the upload task, so a test can see which one an action hands back.
@Suite struct TransferStateMachineTests {
    typealias Machine = Transfer.StateMachine<String, String, String, String>

    /// Small watermarks so a few bytes cross them.
    private func machine() -> Machine { Machine(highWatermark: 8, lowWatermark: 4) }
    private let head = ResponseHead(status: 200, headers: [("Content-Type", "text/plain")])

    // MARK: head

    @Test func headRequestedBeforeTheHeadArrivedWaits() {
        var machine = self.machine()
        #expect(Head(machine.headRequested("head")) == .wait)
    }

    @Test func headReceivedWakesTheWaiterOnlyWhenReleased() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        machine.headReceived(self.head)
        let released = machine.headReleased()
        #expect(released?.0 == "head")
        #expect(released?.1.status == 200)
        #expect(machine.headReleased() == nil, "a released waiter is resumed once")
    }

    @Test func headReleasedWithoutAWaiterDoesNothing() {
        var machine = self.machine()
        machine.headReceived(self.head)
        #expect(machine.headReleased() == nil)
    }

    @Test func headRequestedAfterTheHeadArrivedSucceedsAtOnce() {
        var machine = self.machine()
        machine.headReceived(self.head)
        #expect(Head(machine.headRequested("head")) == .succeed(200))
        #expect(machine.headReleased() == nil, "nothing was stored to wake later")
    }

    @Test func headRequestedAfterCompletionWithoutAHeadFails() {
        var machine = self.machine()
        _ = machine.finished(error: nil)
        #expect(Head(machine.headRequested("head")) == .fail(.transferFailed, "the transfer ended without a response"))
    }

    @Test func headRequestedAfterAFailureFailsWithThatError() {
        var machine = self.machine()
        _ = machine.finished(error: .timedOutForTest)
        #expect(Head(machine.headRequested("head")) == .fail(.timedOut, "slow"))
    }

    @Test func headRequestedAfterCancelFailsWithTheCancelError() {
        var machine = self.machine()
        _ = machine.cancelRequested(.cancelled("gone"))
        #expect(Head(machine.headRequested("head")) == .fail(.cancelled, "gone"))
    }

    @Test func cancelWhileWaitingForHeadAbortsAndFailsTheHead() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        guard case .abort(let waiters, let error, let removeTransfer) = machine.cancelRequested(.cancelled("gone")) else {
            Issue.record("cancel did not abort")
            return
        }
        #expect(waiters.head == "head")
        #expect(waiters.body == nil)
        #expect(error.kind == .cancelled)
        #expect(removeTransfer, "curl is still running the transfer")
        #expect(machine.isFinished)
        #expect(machine.headReleased() == nil, "the failed waiter is not resumed again")
    }

    @Test func finishWithoutAHeadFailsTheWaitingHead() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        let finish = Finish(machine.finished(error: nil))
        #expect(finish?.waiters.head == "head")
        #expect(finish?.head == .failure(.transferFailed, "the upstream closed without sending a response"))
        #expect(finish?.body == .end)
    }

    @Test func finishWithAnErrorBeforeTheHeadFailsTheHeadWithThatError() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        let finish = Finish(machine.finished(error: .timedOutForTest))
        #expect(finish?.head == .failure(.timedOut, "slow"))
        #expect(finish?.body == .failure(.timedOut, "slow"))
    }

    @Test func finishInThePassThatStoredTheHeadStillAnswersTheHeadWaiter() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        machine.headReceived(self.head)
        _ = machine.bodyReceived(self.bytes(3))
        let finish = Finish(machine.finished(error: nil))
        #expect(finish?.waiters.head == "head")
        #expect(finish?.head == .success(200))
        #expect(machine.headReleased() == nil)
        #expect(Body(machine.bodyRequested("body")) == .deliver(3, updatePause: false), "the buffered body survives")
        #expect(Body(machine.bodyRequested("body")) == .end)
    }

    // MARK: body

    @Test func chunkReceivedWhileTheConsumerWaitsGoesStraightToIt() {
        var machine = self.streaming()
        #expect(Body(machine.bodyRequested("body")) == .wait)
        #expect(Received(machine.bodyReceived(self.bytes(5))) == .taken(waiter: "body"))
        #expect(machine.bufferedBytes == 0)
    }

    /// The consumer's fast path looks without a waiter (`Transfer.nextChunk` / `waitForHead` before suspending):
    /// what is there is handed over, and a look that finds nothing leaves no waiter behind for a later event to wake.
    @Test func aLookWithoutAWaiterTakesWhatIsThereAndStoresNothing() {
        var machine = self.streaming()
        #expect(Head(machine.headRequested(nil)) == .succeed(200))
        #expect(Body(machine.bodyRequested(nil)) == .wait)
        #expect(Received(machine.bodyReceived(self.bytes(5))) == .taken(waiter: nil), "the look left no waiter to wake")
        #expect(Body(machine.bodyRequested(nil)) == .deliver(5, updatePause: false))
        #expect(Body(machine.bodyRequested("body")) == .wait)
        #expect(Received(machine.bodyReceived(self.bytes(2))) == .taken(waiter: "body"))

        var fresh = self.machine()
        #expect(Head(fresh.headRequested(nil)) == .wait)
        fresh.headReceived(self.head)
        #expect(fresh.headReleased() == nil, "the look left no head waiter")
    }

    @Test func chunksReceivedWithoutAConsumerAreBufferedAndDeliveredInOrder() {
        var machine = self.streaming()
        #expect(Received(machine.bodyReceived(self.bytes(2, value: 1))) == .taken(waiter: nil))
        #expect(Received(machine.bodyReceived(self.bytes(3, value: 2))) == .taken(waiter: nil))
        #expect(machine.bufferedBytes == 5)
        #expect(machine.maxBufferedBytes == 5)
        guard case .deliver(let first, _) = machine.bodyRequested("body"),
              case .deliver(let second, _) = machine.bodyRequested("body") else {
            Issue.record("buffered chunks were not delivered")
            return
        }
        #expect(Array(first.readableBytesView) == [1, 1])
        #expect(Array(second.readableBytesView) == [2, 2, 2])
        #expect(machine.bufferedBytes == 0)
    }

    @Test func secondConcurrentBodyRequestFailsWithSingleConsumer() {
        var machine = self.streaming()
        #expect(Body(machine.bodyRequested("body")) == .wait)
        #expect(Body(machine.bodyRequested("other")) == .fail(.invalidRequest, "the response body has a single consumer"))
        #expect(Received(machine.bodyReceived(self.bytes(1))) == .taken(waiter: "body"), "the first consumer keeps its place")
    }

    @Test func bufferAtTheHighWatermarkPausesReceiving() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(8))
        #expect(Received(machine.bodyReceived(self.bytes(1))) == .pause)
        #expect(machine.receivePaused)
        #expect(machine.pauseCount == 1)
        #expect(machine.bufferedBytes == 8, "a paused chunk stays with curl")
    }

    @Test func bufferBelowTheHighWatermarkTakesAChunkThatCrossesIt() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(7))
        #expect(Received(machine.bodyReceived(self.bytes(6))) == .taken(waiter: nil))
        #expect(machine.maxBufferedBytes == 13)
    }

    @Test func drainingToTheLowWatermarkAsksForOnePauseUpdate() {
        var machine = self.streaming()
        for _ in 0..<4 { _ = machine.bodyReceived(self.bytes(2)) }
        _ = machine.bodyReceived(self.bytes(2))  // paused
        #expect(Body(machine.bodyRequested("body")) == .deliver(2, updatePause: false), "6 bytes left: above the low watermark")
        #expect(Body(machine.bodyRequested("body")) == .deliver(2, updatePause: true))
        #expect(Body(machine.bodyRequested("body")) == .deliver(2, updatePause: false), "an update is already queued")
        #expect(machine.pauseUpdateRan() == Machine.PauseBits(receive: false, send: false))
        #expect(!machine.receivePaused)
        #expect(Received(machine.bodyReceived(self.bytes(2))) == .taken(waiter: nil), "curl hands the held bytes over again")
    }

    @Test func pauseUpdateWithNothingToChangeReturnsNil() {
        var machine = self.streaming()
        #expect(machine.pauseUpdateRan() == nil)
        for _ in 0..<4 { _ = machine.bodyReceived(self.bytes(2)) }
        _ = machine.bodyReceived(self.bytes(2))  // paused, 8 bytes buffered
        #expect(machine.pauseUpdateRan() == nil, "still above the low watermark")
    }

    @Test func completedTransferDeliversBufferedChunksThenTheEnd() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(3))
        #expect(Finish(machine.finished(error: nil))?.body == .end)
        #expect(Body(machine.bodyRequested("body")) == .deliver(3, updatePause: false))
        #expect(Body(machine.bodyRequested("body")) == .end)
        #expect(machine.consumerDone)
        #expect(Body(machine.bodyRequested("body")) == .end)
    }

    @Test func failedTransferDeliversBufferedChunksThenTheErrorOnce() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(3))
        _ = machine.finished(error: .timedOutForTest)
        #expect(Body(machine.bodyRequested("body")) == .deliver(3, updatePause: false))
        #expect(Body(machine.bodyRequested("body")) == .fail(.timedOut, "slow"))
        #expect(Body(machine.bodyRequested("body")) == .end, "the error is reported once")
    }

    @Test func finishWhileTheConsumerWaitsEndsTheBody() {
        var machine = self.streaming()
        _ = machine.bodyRequested("body")
        let finish = Finish(machine.finished(error: nil))
        #expect(finish?.waiters.body == "body")
        #expect(finish?.body == .end)
        #expect(machine.consumerDone)
    }

    @Test func finishWithAnErrorWhileTheConsumerWaitsFailsTheBody() {
        var machine = self.streaming()
        _ = machine.bodyRequested("body")
        let finish = Finish(machine.finished(error: .timedOutForTest))
        #expect(finish?.waiters.body == "body")
        #expect(finish?.body == .failure(.timedOut, "slow"))
        #expect(Body(machine.bodyRequested("body")) == .end)
    }

    @Test func finishAfterFinishDoesNothing() {
        var machine = self.streaming()
        _ = machine.finished(error: nil)
        #expect(Finish(machine.finished(error: .timedOutForTest)) == nil)
    }

    @Test func cancelWhileStreamingDropsTheBufferAndRemovesTheTransfer() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(3))
        let cancel = Cancel(machine.cancelRequested(.cancelled("gone")))
        #expect(cancel?.waiters.body == nil, "nobody was waiting")
        #expect(cancel?.removeTransfer == true)
        #expect(machine.bufferedBytes == 0)
        #expect(!machine.consumerDone, "the consumer has yet to see the error")
    }

    @Test func cancelWhileTheConsumerWaitsFailsItAndEndsTheBody() {
        var machine = self.streaming()
        _ = machine.bodyRequested("body")
        guard case .abort(let waiters, let error, _) = machine.cancelRequested(.cancelled("gone")) else {
            Issue.record("cancel did not abort")
            return
        }
        #expect(waiters.body == "body")
        #expect(error.message == "gone")
        #expect(machine.consumerDone)
        #expect(Body(machine.bodyRequested("body")) == .end)
    }

    @Test func bodyRequestedAfterCancelDropsTheBufferAndFailsOnce() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(3))
        _ = machine.cancelRequested(.cancelled("gone"))
        #expect(Body(machine.bodyRequested("body")) == .fail(.cancelled, "gone"))
        #expect(Body(machine.bodyRequested("body")) == .end)
    }

    @Test func bodyReceivedAfterCancelAborts() {
        var machine = self.streaming()
        _ = machine.cancelRequested(.cancelled("gone"))
        #expect(Received(machine.bodyReceived(self.bytes(1))) == .abort)
    }

    @Test func bodyReceivedAfterFinishAborts() {
        var machine = self.streaming()
        _ = machine.finished(error: nil)
        #expect(Received(machine.bodyReceived(self.bytes(1))) == .abort)
    }

    @Test func cancelAfterTheConsumerSawTheEndDoesNothing() {
        var machine = self.streaming()
        _ = machine.finished(error: nil)
        #expect(Body(machine.bodyRequested("body")) == .end)
        #expect(Cancel(machine.cancelRequested(.cancelled("late"))) == nil)
    }

    @Test func cancelTwiceAbortsOnce() {
        var machine = self.streaming()
        #expect(Cancel(machine.cancelRequested(.cancelled("first"))) != nil)
        #expect(Cancel(machine.cancelRequested(.cancelled("second"))) == nil)
        #expect(Body(machine.bodyRequested("body")) == .fail(.cancelled, "first"))
    }

    @Test func cancelAfterCurlFinishedDropsTheBodyWithoutRemovingTheTransfer() {
        var machine = self.streaming()
        _ = machine.bodyReceived(self.bytes(3))
        _ = machine.finished(error: nil)
        #expect(Cancel(machine.cancelRequested(.cancelled("gone")))?.removeTransfer == false)
        #expect(Body(machine.bodyRequested("body")) == .fail(.cancelled, "gone"))
    }

    @Test func finishAfterCancelDoesNothing() {
        var machine = self.streaming()
        _ = machine.cancelRequested(.cancelled("gone"))
        #expect(Finish(machine.finished(error: nil)) == nil)
    }

    // MARK: first-byte deadline

    @Test func firstByteTimeoutWithoutAHeadFailsTheWaitingHeadAndRemovesTheTransfer() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        let timeout = FirstByteTimeout(machine.firstByteTimeoutExpired(.timedOutForTest))
        #expect(timeout?.waiters.head == "head")
        #expect(timeout?.error == .timedOut)
        #expect(machine.isFinished, "the transfer is over: curl must let go of it")
        #expect(machine.headReleased() == nil, "the failed waiter is not resumed again")
        #expect(Head(machine.headRequested("again")) == .fail(.timedOut, "slow"))
    }

    @Test func firstByteTimeoutBeforeAnyoneAskedForTheHeadFailsTheLaterAsk() {
        var machine = self.machine()
        let timeout = FirstByteTimeout(machine.firstByteTimeoutExpired(.timedOutForTest))
        #expect(timeout != nil)
        #expect(timeout?.waiters.head == nil)
        #expect(Head(machine.headRequested("head")) == .fail(.timedOut, "slow"))
    }

    @Test func firstByteTimeoutCancelsTheUploadAndStopsItsProducer() {
        var machine = self.machine()
        _ = machine.uploadStarted("task")
        _ = machine.uploadChunkProduced(self.bytes(16))
        _ = machine.uploadWaitRequested("producer")
        let timeout = FirstByteTimeout(machine.firstByteTimeoutExpired(.timedOutForTest))
        #expect(timeout?.waiters.uploadTask == "task")
        #expect(timeout?.waiters.upload == "producer")
        #expect(machine.uploadChunkProduced(self.bytes(1)) == .stop)
        #expect(UploadRead(self.read(&machine, upTo: 4)) == .abort(nil))
    }

    @Test func firstByteTimeoutAfterTheHeadArrivedLeavesTheBodyToTheOtherLimits() {
        var machine = self.streaming()
        #expect(FirstByteTimeout(machine.firstByteTimeoutExpired(.timedOutForTest)) == nil)
        #expect(!machine.isFinished)
        #expect(Received(machine.bodyReceived(self.bytes(2))) == .taken(waiter: nil))
        #expect(Body(machine.bodyRequested("body")) == .deliver(2, updatePause: false))
    }

    @Test func firstByteTimeoutWithTheHeadStoredButNotYetReleasedStillDeliversTheHead() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        machine.headReceived(self.head)
        #expect(FirstByteTimeout(machine.firstByteTimeoutExpired(.timedOutForTest)) == nil)
        #expect(machine.headReleased()?.0 == "head")
    }

    @Test func firstByteTimeoutAfterTheTransferEndedOrWasCancelledDoesNothing() {
        var finished = self.machine()
        _ = finished.finished(error: .init(kind: .connectFailed, message: "refused"))
        #expect(FirstByteTimeout(finished.firstByteTimeoutExpired(.timedOutForTest)) == nil)
        #expect(Head(finished.headRequested("head")) == .fail(.connectFailed, "refused"), "the first error stands")

        var cancelled = self.machine()
        _ = cancelled.cancelRequested(.cancelled("gone"))
        #expect(FirstByteTimeout(cancelled.firstByteTimeoutExpired(.timedOutForTest)) == nil)
    }

    @Test func finishAfterAFirstByteTimeoutDoesNothing() {
        var machine = self.machine()
        _ = machine.headRequested("head")
        _ = machine.firstByteTimeoutExpired(.timedOutForTest)
        #expect(Finish(machine.finished(error: nil)) == nil)
        #expect(Cancel(machine.cancelRequested(.cancelled("gone")))?.removeTransfer != true,
                "curl already let go of the transfer")
    }

    // MARK: request body

    @Test func uploadStartedAfterTheTransferEndedCancelsTheTask() {
        var machine = self.machine()
        _ = machine.finished(error: nil)
        guard case .cancelTask = machine.uploadStarted("task") else {
            Issue.record("the task was kept")
            return
        }
    }

    @Test func uploadTaskIsCancelledWhenTheTransferFinishes() {
        var machine = self.machine()
        guard case .keep = machine.uploadStarted("task") else {
            Issue.record("the task was cancelled at once")
            return
        }
        #expect(Finish(machine.finished(error: nil))?.waiters.uploadTask == "task")
    }

    @Test func uploadTaskIsCancelledWhenTheTransferIsCancelled() {
        var machine = self.machine()
        _ = machine.uploadStarted("task")
        #expect(Cancel(machine.cancelRequested(.cancelled("gone")))?.waiters.uploadTask == "task")
    }

    @Test func uploadReadWithNothingQueuedPausesSendingUntilAChunkArrives() {
        var machine = self.machine()
        #expect(UploadRead(self.read(&machine, upTo: 4)) == .pause)
        #expect(machine.sendPaused)
        #expect(machine.uploadChunkProduced(self.bytes(3)) == .queued(updatePause: true, wait: false))
        #expect(machine.uploadChunkProduced(self.bytes(1)) == .queued(updatePause: false, wait: false), "already queued")
        #expect(machine.pauseUpdateRan() == Machine.PauseBits(receive: false, send: false))
        #expect(UploadRead(self.read(&machine, upTo: 8)) == .copied(4, resume: nil))
    }

    @Test func uploadReadCopiesQueuedBytesAcrossAndInsideChunks() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(2, value: 1))
        _ = machine.uploadChunkProduced(self.bytes(3, value: 2))
        var destination = [UInt8](repeating: 0, count: 4)
        let action = destination.withUnsafeMutableBytes { machine.uploadRead(into: $0) }
        #expect(UploadRead(action) == .copied(4, resume: nil))
        #expect(destination == [1, 1, 2, 2])
        #expect(machine.uploadBytes == 1)
        destination = [0, 0, 0, 0]
        let rest = destination.withUnsafeMutableBytes { machine.uploadRead(into: $0) }
        #expect(UploadRead(rest) == .copied(1, resume: nil))
        #expect(destination == [2, 0, 0, 0])
    }

    @Test func producerPastTheHighWatermarkWaitsUntilCurlDrainsToTheLowWatermark() {
        var machine = self.machine()
        #expect(machine.uploadChunkProduced(self.bytes(9)) == .queued(updatePause: false, wait: true))
        guard case .wait = machine.uploadWaitRequested("upload") else {
            Issue.record("the producer did not wait")
            return
        }
        #expect(UploadRead(self.read(&machine, upTo: 4)) == .copied(4, resume: nil), "5 bytes left: above the low watermark")
        #expect(UploadRead(self.read(&machine, upTo: 1)) == .copied(1, resume: "upload"))
    }

    @Test func producerBelowTheLowWatermarkDoesNotWait() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(4))
        guard case .resume = machine.uploadWaitRequested("upload") else {
            Issue.record("the producer waited")
            return
        }
    }

    @Test func producerWaitingAfterTheTransferEndedResumesAtOnce() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(9))
        _ = machine.finished(error: nil)
        guard case .resume = machine.uploadWaitRequested("upload") else {
            Issue.record("the producer waited on a finished transfer")
            return
        }
    }

    @Test func cancelWhileTheProducerWaitsResumesIt() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(9))
        _ = machine.uploadWaitRequested("upload")
        #expect(Cancel(machine.cancelRequested(.cancelled("gone")))?.waiters.upload == "upload")
    }

    @Test func uploadReadAfterTheStreamEndedReturnsTheEnd() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(2))
        #expect(machine.uploadFinished(error: nil) == false, "sending was never paused")
        #expect(UploadRead(self.read(&machine, upTo: 4)) == .copied(2, resume: nil))
        #expect(UploadRead(self.read(&machine, upTo: 4)) == .end)
    }

    @Test func uploadFinishedWhileSendingIsPausedAsksForAPauseUpdate() {
        var machine = self.machine()
        _ = self.read(&machine, upTo: 4)  // paused
        let updatePause = machine.uploadFinished(error: nil)
        #expect(updatePause)
        #expect(machine.pauseUpdateRan() == Machine.PauseBits(receive: false, send: false))
        #expect(UploadRead(self.read(&machine, upTo: 4)) == .end)
    }

    @Test func uploadReadAfterTheStreamFailedAbortsWithTransferFailed() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(2))
        _ = machine.uploadFinished(error: TestError())
        guard case .abort(let error?) = self.read(&machine, upTo: 4) else {
            Issue.record("the read did not abort with an error")
            return
        }
        #expect(error.kind == .transferFailed)
        #expect(error.message.hasPrefix("the request body stream failed: "))
    }

    @Test func uploadChunkAfterTheTransferEndedStops() {
        var machine = self.machine()
        _ = machine.cancelRequested(.cancelled("gone"))
        #expect(machine.uploadChunkProduced(self.bytes(2)) == .stop)
    }

    @Test func uploadReadAfterTheTransferEndedAbortsWithoutAnError() {
        var machine = self.machine()
        _ = machine.uploadChunkProduced(self.bytes(2))
        _ = machine.cancelRequested(.cancelled("gone"))
        guard case .abort(.none) = self.read(&machine, upTo: 4) else {
            Issue.record("the read did not abort")
            return
        }
    }

    @Test func pausedReceiveAndSendAreUnpausedEachWhenReady() {
        var machine = self.streaming()
        _ = self.read(&machine, upTo: 4)  // send paused
        for _ in 0..<4 { _ = machine.bodyReceived(self.bytes(2)) }
        _ = machine.bodyReceived(self.bytes(2))  // receive paused
        #expect(machine.pauseUpdateRan() == nil, "nothing to unpause yet")
        #expect(machine.uploadChunkProduced(self.bytes(1)) == .queued(updatePause: true, wait: false))
        #expect(machine.pauseUpdateRan() == Machine.PauseBits(receive: true, send: false), "receive stays paused")
        for _ in 0..<2 { _ = machine.bodyRequested("body") }
        #expect(machine.pauseUpdateRan() == Machine.PauseBits(receive: false, send: false))
    }

    // MARK: helpers

    /// A machine whose head was received and released.
    private func streaming() -> Machine {
        var machine = self.machine()
        _ = machine.headRequested("head")
        machine.headReceived(self.head)
        _ = machine.headReleased()
        return machine
    }

    private func bytes(_ count: Int, value: UInt8 = 0x61) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8](repeating: value, count: count))
    }

    private func read(_ machine: inout Machine, upTo count: Int) -> Machine.UploadReadAction {
        var destination = [UInt8](repeating: 0, count: count)
        return destination.withUnsafeMutableBytes { machine.uploadRead(into: $0) }
    }
}

private struct TestError: Error {}

private extension UpstreamError {
    static let timedOutForTest = UpstreamError(kind: .timedOut, message: "slow")
}

// Equatable summaries of the machine's actions (the actions carry continuations in production, so they are not
// Equatable themselves).

private enum Head: Equatable {
    case succeed(Int)
    case fail(UpstreamError.Kind, String)
    case wait

    init(_ action: TransferStateMachineTests.Machine.HeadRequestAction) {
        switch action {
        case .succeed(let head): self = .succeed(head.status)
        case .fail(let error): self = .fail(error.kind, error.message)
        case .wait: self = .wait
        }
    }
}

private enum Body: Equatable {
    case deliver(Int, updatePause: Bool)
    case end
    case fail(UpstreamError.Kind, String)
    case wait

    init(_ action: TransferStateMachineTests.Machine.BodyRequestAction) {
        switch action {
        case .deliver(let chunk, let updatePause): self = .deliver(chunk.readableBytes, updatePause: updatePause)
        case .end: self = .end
        case .fail(let error): self = .fail(error.kind, error.message)
        case .wait: self = .wait
        }
    }
}

private enum Received: Equatable {
    case abort
    case pause
    case taken(waiter: String?)

    init(_ action: TransferStateMachineTests.Machine.BodyReceivedAction) {
        switch action {
        case .abort: self = .abort
        case .pause: self = .pause
        case .taken(let waiter): self = .taken(waiter: waiter)
        }
    }
}

private enum UploadRead: Equatable {
    case abort(UpstreamError.Kind?)
    case pause
    case end
    case copied(Int, resume: String?)

    init(_ action: TransferStateMachineTests.Machine.UploadReadAction) {
        switch action {
        case .abort(let error): self = .abort(error?.kind)
        case .pause: self = .pause
        case .end: self = .end
        case .copied(let count, let waiter): self = .copied(count, resume: waiter)
        }
    }
}

private enum Outcome: Equatable {
    case success(Int)
    case end
    case failure(UpstreamError.Kind, String)
}

private struct Finish {
    var waiters: TransferStateMachineTests.Machine.Waiters
    var head: Outcome
    var body: Outcome

    init?(_ action: TransferStateMachineTests.Machine.FinishAction) {
        guard case .resume(let waiters, let head, let body) = action else { return nil }
        self.waiters = waiters
        switch head {
        case .success(let head): self.head = .success(head.status)
        case .failure(let error): self.head = .failure(error.kind, error.message)
        }
        switch body {
        case .success(let chunk): self.body = chunk.map { .success($0.readableBytes) } ?? .end
        case .failure(let error): self.body = .failure(error.kind, error.message)
        }
    }
}

private struct FirstByteTimeout {
    var waiters: TransferStateMachineTests.Machine.Waiters
    var error: UpstreamError.Kind

    init?(_ action: TransferStateMachineTests.Machine.FirstByteTimeoutAction) {
        guard case .abort(let waiters, let error) = action else { return nil }
        self.waiters = waiters
        self.error = error.kind
    }
}

private struct Cancel {
    var waiters: TransferStateMachineTests.Machine.Waiters
    var removeTransfer: Bool

    init?(_ action: TransferStateMachineTests.Machine.CancelAction) {
        guard case .abort(let waiters, _, let removeTransfer) = action else { return nil }
        self.waiters = waiters
        self.removeTransfer = removeTransfer
    }
}
