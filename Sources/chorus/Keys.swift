import ArgumentParser
import ChorusGateway
import Foundation

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API keys (stored as SHA-256 hashes).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")
        @OptionGroup var options: ConfigOption
        @Option(help: "A name to recognise the key by.") var name: String
        @Option(help: "Requests per minute (default: unlimited or server.default_rpm).") var rpm: Int?
        @Option(help: "Comma-separated model names the key may use (default: all).") var models: String?
        @Option(help: "Expiry date, YYYY-MM-DD (UTC, the key stops working at its start).") var expires: String?

        func validate() throws {
            if let rpm, rpm <= 0 { throw ValidationError("--rpm must be positive") }
            if let expires, Self.parseDate(expires) == nil { throw ValidationError("--expires must be YYYY-MM-DD") }
        }

        static func parseDate(_ text: String) -> Date? {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.locale = Locale(identifier: "en_US_POSIX")
            return formatter.date(from: text)
        }

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            let store = try openStorage(database: config.database)
            let modelList = models?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let (key, record) = try await store.createKey(
                name: name, rpm: rpm, models: modelList, expiresAt: expires.flatMap(Self.parseDate))
            print(key)
            FileHandle.standardError.write(Data("created key \(record.id) '\(record.name)'; it is shown only this once.\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (no secrets).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            let keys = try await openStorage(database: config.database).listKeys()
            print(["ID", "NAME", "KEY", "RPM", "MODELS", "EXPIRES", "STATUS"].joined(separator: "\t"))
            let day = DateFormatter()
            day.dateFormat = "yyyy-MM-dd"
            day.timeZone = TimeZone(identifier: "UTC")
            for key in keys {
                let status = key.revokedAt != nil ? "revoked" : key.isExpired() ? "expired" : "active"
                print([
                    String(key.id), key.name, "sk-chorus-…\(key.keyHint)", key.rpm.map(String.init) ?? "-",
                    key.models?.joined(separator: ",") ?? "*", key.expiresAt.map(day.string(from:)) ?? "-", status,
                ].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its ID.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's ID from `chorus keys list`.") var id: Int64

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            guard try await openStorage(database: config.database).revokeKey(id: id) else {
                FileHandle.standardError.write(Data("error: no active key with ID \(id)\n".utf8))
                throw ExitCode(1)
            }
            print("revoked key \(id)")
        }
    }
}
