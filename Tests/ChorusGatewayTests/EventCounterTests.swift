@testable import ChorusGateway
import NIOCore
import Testing

@Suite struct EventCounterTests {
    private static let completed = #"data: {"type":"image_generation.completed","b64_json":"AAAA"}"# + "\n\n"
    private static let partial = #"data: {"type":"image_generation.partial_image","b64_json":"AAAA"}"# + "\n\n"

    @Test func countsCompletedImageEventsButNotPartialOnes() {
        var counter = EventCounter.completedImages()
        counter.feed(ByteBuffer(string: Self.partial + Self.completed + Self.partial + Self.completed))
        #expect(counter.count == 2)
    }

    @Test(arguments: [1, 2, 3, 7, 20, 41])
    func anEventSplitAcrossChunksIsCountedOnce(chunkSize: Int) {
        let stream = Array((Self.partial + Self.completed + #"data: {"type": "image_edit.completed"}"# + "\n\n").utf8)
        var counter = EventCounter.completedImages()
        var offset = 0
        while offset < stream.count {
            let end = min(offset + chunkSize, stream.count)
            counter.feed(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
        }
        #expect(counter.count == 2)
    }
}
