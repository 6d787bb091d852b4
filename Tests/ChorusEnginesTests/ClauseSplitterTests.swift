import Testing
@testable import ChorusEngines

@Suite struct ClauseSplitterTests {
    /// Feeds the text a few characters at a time, as a chat stream arrives.
    static func split(_ text: String, minimumLength: Int = 24, piece: Int = 3) -> [String] {
        var splitter = ClauseSplitter(minimumLength: minimumLength)
        var clauses: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            clauses += splitter.feed(String(rest.prefix(piece)))
            rest = rest.dropFirst(piece)
        }
        if let last = splitter.finish() { clauses.append(last) }
        return clauses
    }

    @Test func sentencesAreSpokenOneByOne() {
        #expect(Self.split("Hello there. How are you today? Fine!") == ["Hello there.", "How are you today?", "Fine!"])
    }

    @Test func theFirstClauseIsCompleteBeforeTheAnswerIs() {
        var splitter = ClauseSplitter()
        #expect(splitter.feed("The weather is sunny.").isEmpty)  // the mark could still be a decimal point
        #expect(splitter.feed(" Tomorrow") == ["The weather is sunny."])
    }

    @Test func commasCutOnlyLongEnoughClauses() {
        let text = "Yes, and the long list of things we talked about, is done; ok"
        #expect(Self.split(text) == ["Yes, and the long list of things we talked about,", "is done; ok"])
    }

    @Test func decimalsAndAbbreviationsWithoutSpacesStayWhole() {
        #expect(Self.split("Pi is 3.14 roughly.") == ["Pi is 3.14 roughly."])
    }

    @Test func lineBreaksEndClausesAndPunctuationAloneIsDropped() {
        #expect(Self.split("First line\nSecond line\n...\n") == ["First line", "Second line"])
    }
}
