import ArgumentParser
import ChorusEngines
import ChorusGateway
import Foundation

struct Voices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage custom voices (normalised samples in the database or under voices/custom, per blob_storage; listed by /v1/audio/voices).",
        subcommands: [Add.self, List.self, Remove.self])

    /// The CLI acts as the master key: it sees, adds (owned by no key) and deletes every voice.
    static func library(_ path: String?) async throws -> (VoiceServices, any GatewayStorage) {
        let config = try loadConfigOrExit(path)
        let store = try await openStorage(database: config.database)
        return (try VoiceServices(config: config, store: store), store)
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
            let (speech, _) = try await Voices.library(options.config)
            do {
                let voice = try await speech.library.add(name: name, sample: Array(data), consent: consent, by: .master)
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
            let (speech, store) = try await Voices.library(options.config)
            let keyNames = Dictionary(try await store.listKeys().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            print(["ID", "NAME", "TYPE", "SECONDS", "OWNER"].joined(separator: "\t"))
            for preset in speech.presets.all {
                print([preset.name, preset.description ?? "", "preset", "-", "shared"].joined(separator: "\t"))
            }
            for voice in try await speech.library.list(for: .master) {
                print([voice.id, Logs.oneCell(voice.name), "audio_sample", String(format: "%.1f", voice.durationSeconds),
                       Self.owner(voice.ownerKeyID, names: keyNames)].joined(separator: "\t"))
            }
        }

        /// `master` for a voice made by the master key or the CLI, else the key's id and name as `chorus keys list`
        /// shows them (`key 3 (app)`); a key's name is the caller's text, so it is made one cell like the voice's.
        static func owner(_ keyID: Int64?, names: [Int64: String]) -> String {
            guard let keyID else { return "master" }
            return names[keyID].map { "key \(keyID) (\(Logs.oneCell($0)))" } ?? "key \(keyID)"
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a custom voice by id.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The voice id (voice_…).") var id: String

        func run() async throws {
            let (speech, _) = try await Voices.library(options.config)
            guard try await speech.library.delete(id, for: .master) else {
                FileHandle.standardError.write(Data("error: no voice with id \(id)\n".utf8))
                throw ExitCode(1)
            }
            print("deleted \(id)")
        }
    }
}
