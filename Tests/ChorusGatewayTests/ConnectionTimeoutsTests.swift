@testable import ChorusGateway
import NIOCore
import Testing

/// `ConnectionTimeouts` event by event, with made-up instants: which limit applies when, and when the clock stops.
@Suite struct ConnectionTimeoutsTests {
    static let limits = ConnectionTimeouts.Limits(header: .seconds(10), idle: .seconds(75), bodyProgress: .seconds(60))
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    static func at(_ seconds: Int64) -> NIODeadline { t0 + .seconds(seconds) }

    @Test func aNewConnectionThatSendsNothingGetsTheHeaderTimeout() {
        let timeouts = ConnectionTimeouts(limits: Self.limits, openedAt: Self.t0)
        #expect(timeouts.deadline == Self.at(10))
        #expect(timeouts.expiry(at: Self.at(9)) == nil)
        #expect(timeouts.expiry(at: Self.at(10)) == .idle, "nothing arrived: closed without an answer")
    }

    @Test func aHeadTricklingInIsCutAtTheHeaderTimeoutFromItsFirstByte() {
        var timeouts = ConnectionTimeouts(limits: Self.limits, openedAt: Self.t0)
        timeouts.bytesArrived(at: Self.at(2))
        timeouts.bytesArrived(at: Self.at(5))
        timeouts.bytesArrived(at: Self.at(11))
        #expect(timeouts.deadline == Self.at(12), "more bytes of the same head do not extend it")
        #expect(timeouts.expiry(at: Self.at(12)) == .header)
    }

    @Test func aStalledBodyExpiresAfterTheProgressTimeoutAndASteadyOneNever() {
        var timeouts = ConnectionTimeouts(limits: Self.limits, openedAt: Self.t0)
        timeouts.bytesArrived(at: Self.at(1))
        timeouts.headArrived(at: Self.at(1))
        // A body arriving every 50 s for ten minutes: never more than 60 s without progress.
        for minute in stride(from: Int64(1), through: 600, by: 50) {
            timeouts.bytesArrived(at: Self.at(minute))
            timeouts.readRequested(at: Self.at(minute))
            #expect(timeouts.expiry(at: Self.at(minute + 49)) == nil)
        }
        #expect(timeouts.deadline == Self.at(551 + 60))
        #expect(timeouts.expiry(at: Self.at(551 + 60)) == .body)
    }

    @Test func theBodyClockStopsWhileChorusIsNotReading() {
        var timeouts = ConnectionTimeouts(limits: Self.limits, openedAt: Self.t0)
        timeouts.bytesArrived(at: Self.at(1))
        timeouts.headArrived(at: Self.at(1))
        timeouts.bytesArrived(at: Self.at(2))  // a read was answered; Chorus asks for no more (back-pressure)
        #expect(timeouts.deadline == nil)
        #expect(timeouts.expiry(at: Self.at(500)) == nil)
        timeouts.readRequested(at: Self.at(500))  // the handler wants more: the client has 60 s from now
        #expect(timeouts.deadline == Self.at(560))
    }

    @Test func nothingExpiresWhileAResponseIsOwedThenTheIdleClockStartsAtItsEnd() {
        var timeouts = ConnectionTimeouts(limits: Self.limits, openedAt: Self.t0)
        timeouts.bytesArrived(at: Self.at(1))
        timeouts.headArrived(at: Self.at(1))
        timeouts.endArrived(at: Self.at(1))
        #expect(timeouts.deadline == nil, "the request is in; a slow answer is not the client's fault")
        timeouts.responseEnded(at: Self.at(300))
        #expect(timeouts.deadline == Self.at(375))
        #expect(timeouts.expiry(at: Self.at(375)) == .idle)
        // The next request's first byte switches to the header limit.
        timeouts.bytesArrived(at: Self.at(370))
        #expect(timeouts.deadline == Self.at(380))
    }

    @Test func aPipelinedRequestKeepsTheIdleClockStoppedUntilTheLastAnswer() {
        var timeouts = ConnectionTimeouts(limits: Self.limits, openedAt: Self.t0)
        timeouts.bytesArrived(at: Self.at(1))
        timeouts.headArrived(at: Self.at(1))
        timeouts.endArrived(at: Self.at(1))
        timeouts.headArrived(at: Self.at(1))
        timeouts.endArrived(at: Self.at(1))
        timeouts.responseEnded(at: Self.at(20))
        #expect(timeouts.deadline == nil, "one answer is still owed")
        timeouts.responseEnded(at: Self.at(40))
        #expect(timeouts.deadline == Self.at(115))
    }
}
