import Foundation
import Yams

/// The table of voice presets: `voices/presets.yaml`, or ``builtIn`` when there is no file.
///
/// File format (order is kept; names are matched case-insensitively):
/// ```yaml
/// voices:
///   alloy:
///     espeak: en+m1        # espeak-ng voice, optionally +variant (espeak-ng --voices=variant lists them)
///     pitch: 50            # optional, 0-100, espeak-ng default 50
///     description: Balanced, neutral
/// ```
public struct VoicePresets: Sendable {
    public var all: [VoicePreset]

    public init(_ presets: [VoicePreset]) {
        self.all = presets
    }

    /// The preset called `name` (case-insensitive), if any.
    public func preset(named name: String) -> VoicePreset? {
        let wanted = name.lowercased()
        return all.first { $0.name.lowercased() == wanted }
    }

    /// The preset names, in table order.
    public var names: [String] { all.map(\.name) }

    /// Reads a preset file. Throws ``EngineError/Code/invalidPresets`` if it is missing or malformed.
    public static func load(path: String) throws -> VoicePresets {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EngineError.invalidPresets("cannot read voice presets at \(path): \(error.localizedDescription)")
        }
        return try parse(yaml: text, source: path)
    }

    /// Reads `path` if the file exists, else returns ``builtIn``. A file that exists but is malformed throws.
    public static func loadOrBuiltIn(path: String) throws -> VoicePresets {
        FileManager.default.fileExists(atPath: path) ? try load(path: path) : builtIn
    }

    /// Parses the YAML text of a preset file (see the type's documentation for the format).
    public static func parse(yaml: String, source: String = "presets.yaml") throws -> VoicePresets {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw EngineError.invalidPresets("\(source) is not valid YAML: \(error)")
        }
        guard let voices = root?["voices"]?.mapping else {
            throw EngineError.invalidPresets("\(source) has no 'voices' mapping")
        }
        var presets: [VoicePreset] = []
        for (key, value) in voices {
            guard let name = key.string, !name.isEmpty else {
                throw EngineError.invalidPresets("\(source): a voice name is not a string")
            }
            guard let espeak = value["espeak"]?.string, !espeak.isEmpty else {
                throw EngineError.invalidPresets("\(source): voice '\(name)' has no 'espeak' voice")
            }
            var pitch: Int?
            if let node = value["pitch"] {
                guard let number = node.int, (0...100).contains(number) else {
                    throw EngineError.invalidPresets("\(source): voice '\(name)' pitch must be an integer 0-100")
                }
                pitch = number
            }
            guard EspeakEngine.isPlausibleVoiceName(espeak) else {
                throw EngineError.invalidPresets("\(source): voice '\(name)' has an invalid espeak voice '\(espeak)'")
            }
            if presets.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                throw EngineError.invalidPresets("\(source): voice '\(name)' appears twice")
            }
            presets.append(VoicePreset(name: name, espeakVoice: espeak, pitch: pitch,
                                       description: value["description"]?.string))
        }
        return VoicePresets(presets)
    }
}
