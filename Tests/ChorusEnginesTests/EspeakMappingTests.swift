import Testing
@testable import ChorusEngines

@Suite struct EspeakMappingTests {
    @Test func speedMapsToWordsPerMinuteWithinEspeakRange() {
        #expect(EspeakEngine.wordsPerMinute(speed: 1.0) == 175)
        #expect(EspeakEngine.wordsPerMinute(speed: 2.0) == 350)
        #expect(EspeakEngine.wordsPerMinute(speed: 0.5) == 88)
        #expect(EspeakEngine.wordsPerMinute(speed: 0.25) == 80)
        #expect(EspeakEngine.wordsPerMinute(speed: 4.0) == 450)
        #expect(EspeakEngine.wordsPerMinute(speed: .nan) == 175)
        #expect(EspeakEngine.wordsPerMinute(speed: -1) == 175)
    }

    @Test func languageReplacesThePresetLanguageAndKeepsTheVariant() throws {
        let nova = VoicePreset(name: "nova", espeakVoice: "en-us+f3", pitch: 65)
        let fable = VoicePreset(name: "fable", espeakVoice: "en-gb-x-rp+m4")
        let plain = VoicePreset(name: "plain", espeakVoice: "en")
        #expect(try EspeakEngine.voiceName(preset: nova, language: nil) == "en-us+f3")
        #expect(try EspeakEngine.voiceName(preset: nova, language: "") == "en-us+f3")
        #expect(try EspeakEngine.voiceName(preset: nova, language: "en") == "en-us+f3")
        #expect(try EspeakEngine.voiceName(preset: fable, language: "EN") == "en-gb-x-rp+m4")
        #expect(try EspeakEngine.voiceName(preset: fable, language: "en-us") == "en-us+m4")
        #expect(try EspeakEngine.voiceName(preset: nova, language: "fr") == "fr+f3")
        #expect(try EspeakEngine.voiceName(preset: nova, language: "pt_BR") == "pt-br+f3")
        #expect(try EspeakEngine.voiceName(preset: plain, language: "de") == "de")
    }

    @Test(arguments: ["english!", "e", "../fr", "fr+m3", "en us", "toolong-abcdefghi"])
    func implausibleLanguageTagsAreRejected(language: String) throws {
        let preset = VoicePreset(name: "x", espeakVoice: "en+m1")
        let error = try #require(throws: EngineError.self) {
            try EspeakEngine.voiceName(preset: preset, language: language)
        }
        #expect(error.code == .invalidLanguage)
    }
}
