import ArgumentParser
import ChorusEngines
import ChorusGateway
import Foundation

struct Voices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage custom voices (normalised samples under voices/custom, listed by /v1/audio/voices).",
        subcommands: [Add.self, List.self, Remove.self])

    static func library(_ path: String?) throws -> (VoiceServices, GatewayConfig) {
        let config = try loadConfigOrExit(path)
        let store = try openStorage(database: config.database)
        return (try VoiceServices(config: config, store: store), config)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a voice sample (any audio container, 1–60 s by default).")
        @OptionGroup var options: ConfigOption
        @Option(help: "The voice's display name.") var name: String
        @Option(help: "Consent reference to keep with the voice.") var consent: String?
        @Argument(help: "Path to the audio sample (wav, mp3, ogg, m4a, webm, flac…).") var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("error: cannot read \(file)\n".utf8))
                throw ExitCode(1)
            }
            let (speech, _) = try Voices.library(options.config)
            do {
                let voice = try await speech.library.add(name: name, sample: Array(data), consent: consent)
                print(voice.id)
                FileHandle.standardError.write(Data("stored '\(voice.name)' (\(String(format: "%.1f", voice.durationSeconds)) s)\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List preset and custom voices.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let (speech, _) = try Voices.library(options.config)
            print(["ID", "NAME", "TYPE", "SECONDS"].joined(separator: "\t"))
            for preset in speech.presets.all { print([preset.name, preset.description ?? "", "preset", "-"].joined(separator: "\t")) }
            for voice in try await speech.library.list() {
                print([voice.id, Logs.oneCell(voice.name), "audio_sample", String(format: "%.1f", voice.durationSeconds)].joined(separator: "\t"))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a custom voice by id.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The voice id (voice_…).") var id: String

        func run() async throws {
            let (speech, _) = try Voices.library(options.config)
            guard try await speech.library.delete(id) else {
                FileHandle.standardError.write(Data("error: no voice with id \(id)\n".utf8))
                throw ExitCode(1)
            }
            print("deleted \(id)")
        }
    }
}
