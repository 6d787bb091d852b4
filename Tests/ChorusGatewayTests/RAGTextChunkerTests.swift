@testable import ChorusGateway
import Testing

@Suite struct RAGTextChunkerTests {
    @Test func paragraphsThatFitArePackedAndNeverCut() {
        let chunker = RAGTextChunker(size: 50, overlap: 0)
        let text = "First paragraph here.\n\nSecond one.\r\n\r\n\n  Third paragraph, a bit longer than that.  \n"
        #expect(chunker.chunks(of: text) == ["First paragraph here.\n\nSecond one.", "Third paragraph, a bit longer than that."])
        #expect(chunker.chunks(of: " \n\n \t").isEmpty)
    }

    @Test func aLongParagraphIsCutBetweenSentencesAndChunksOverlapByWholeSentences() {
        let sentences = (1...12).map { "Sentence number \($0) is here." }
        let chunker = RAGTextChunker(size: 100, overlap: 40)
        let chunks = chunker.chunks(of: sentences.joined(separator: " "))
        #expect(chunks.allSatisfy { $0.count <= 100 })
        #expect(chunks.first?.hasPrefix("Sentence number 1 is here.") == true)
        #expect(chunks.last?.hasSuffix("Sentence number 12 is here.") == true)
        for (earlier, later) in zip(chunks, chunks.dropFirst()) {
            // Each chunk after the first starts with the previous chunk's last sentence (they are 27–28 characters).
            let carried = String(later.prefix { $0 != "." }) + "."
            #expect(earlier.hasSuffix(carried), "\(earlier) | \(later)")
        }
        // Every sentence is whole in some chunk.
        #expect(sentences.allSatisfy { sentence in chunks.contains { $0.contains(sentence) } })
    }

    @Test func aSentenceLongerThanAChunkIsCutBetweenWordsAndAHugeWordAnywhere() {
        let chunker = RAGTextChunker(size: 20, overlap: 0)
        #expect(chunker.chunks(of: "alpha beta gamma delta epsilon zeta eta") == ["alpha beta gamma", "delta epsilon zeta", "eta"])
        #expect(chunker.chunks(of: String(repeating: "x", count: 45)) == [String(repeating: "x", count: 20), String(repeating: "x", count: 20),
                                                                        String(repeating: "x", count: 5)])
        #expect(RAGTextChunker.sentences(of: "He said \"stop.\" Then left! Why? Done") == ["He said \"stop.\"", "Then left!", "Why?", "Done"])
    }
}
