import Foundation
import Testing
@testable import ChorusEngines

@Suite struct VoicePresetsTests {
    static let openAIVoices = ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
                               "shimmer", "verse", "marin", "cedar"]

    static var presetsFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("voices/presets.yaml").path
    }

    @Test func everyOpenAIVoiceResolvesInTheBuiltInTable() throws {
        for name in Self.openAIVoices {
            let preset = try #require(VoicePresets.builtIn.preset(named: name))
            #expect(preset.name == name)
            #expect(VoicePresets.builtIn.preset(named: name.uppercased())?.name == name)
        }
        #expect(VoicePresets.builtIn.all.count == 13)
        #expect(VoicePresets.builtIn.preset(named: "nonexistent") == nil)
    }

    @Test func presetsFileMatchesTheBuiltInTable() throws {
        let file = try VoicePresets.load(path: Self.presetsFile)
        #expect(file.all == VoicePresets.builtIn.all)
    }

    @Test func everyPresetMapsToADistinctEspeakSetting() {
        let settings = Set(VoicePresets.builtIn.all.map { "\($0.espeakVoice)/\($0.pitch ?? 50)" })
        #expect(settings.count == 13)
    }

    @Test func missingFileFallsBackToBuiltInButLoadThrows() throws {
        let path = "/nonexistent/presets.yaml"
        #expect(try VoicePresets.loadOrBuiltIn(path: path).all == VoicePresets.builtIn.all)
        let error = try #require(throws: EngineError.self) { try VoicePresets.load(path: path) }
        #expect(error.code == .invalidPresets)
    }

    @Test(arguments: [
        "voices: [1, 2]",
        "nothing: here",
        "voices:\n  alloy: {pitch: 50}",
        "voices:\n  alloy: {espeak: en, pitch: 500}",
        "voices:\n  alloy: {espeak: ../../etc/passwd}",
        "voices:\n  alloy: {espeak: en}\n  ALLOY: {espeak: fr}",
        "voices: {alloy: [unclosed",
    ])
    func malformedPresetFilesAreRejected(yaml: String) throws {
        let error = try #require(throws: EngineError.self) { try VoicePresets.parse(yaml: yaml) }
        #expect(error.code == .invalidPresets)
    }

    @Test func parseKeepsOrderAndOptionalFields() throws {
        let presets = try VoicePresets.parse(yaml: """
            voices:
              zed: {espeak: en+m3}
              amy:
                espeak: en-us+f2
                pitch: 70
                description: Amy
            """)
        #expect(presets.names == ["zed", "amy"])
        #expect(presets.all[0].pitch == nil)
        #expect(presets.all[1] == VoicePreset(name: "amy", espeakVoice: "en-us+f2", pitch: 70, description: "Amy"))
    }
}
