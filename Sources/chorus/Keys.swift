import ArgumentParser
import ChorusGateway
import Foundation

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API keys (stored as SHA-256 hashes): limits, points balances and budgets.",
        subcommands: [Create.self, Update.self, Show.self, List.self, Revoke.self])

    /// The limits `create` and `update` share. On `update`, a flag left out keeps the key's value and `none`
    /// clears it (e.g. `--balance none`: no balance kept any more).
    struct Limits: ParsableArguments {
        @Option(help: "Requests per minute (default: unlimited or server.default_rpm).") var rpm: String?
        @Option(name: .customLong("max-concurrency"), help: "Requests (streams included) the key may have open at once.")
        var maxConcurrency: String?
        @Option(help: "Points balance; calls are refused with 429 insufficient_quota when it cannot cover them.") var balance: String?
        @Option(name: .customLong("balance-reset"), help: "daily | monthly: set the balance back to --balance-refill each period (UTC).")
        var balanceReset: String?
        @Option(name: .customLong("balance-refill"), help: "Points the balance is reset to (default: --balance).")
        var balanceRefill: String?
        @Option(help: "Points the key may spend per --budget-period, whatever its balance.") var budget: String?
        @Option(name: .customLong("budget-period"), help: "daily | monthly (default monthly).") var budgetPeriod: String?
        @Option(help: "Comma-separated model or group names the key may use (default: all).") var models: String?
        @Option(help: "Expiry date, YYYY-MM-DD (UTC, the key stops working at its start).") var expires: String?

        func changes() throws -> KeyChanges {
            var changes = KeyChanges()
            changes.rpm = try Self.value(rpm, "--rpm") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
            changes.maxConcurrency = try Self.value(maxConcurrency, "--max-concurrency") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
            changes.balance = try Self.value(balance, "--balance", Self.points)
            changes.balanceRefill = try Self.value(balanceRefill, "--balance-refill", Self.points)
            changes.budget = try Self.value(budget, "--budget", Self.points)
            changes.balanceReset = try Self.value(balanceReset, "--balance-reset") { KeyPeriod(rawValue: $0) }
            changes.budgetPeriod = try Self.value(budgetPeriod, "--budget-period") { KeyPeriod(rawValue: $0) }
            changes.models = try Self.value(models, "--models") { text in
                let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                return names.isEmpty ? nil : names
            }
            changes.expiresAt = try Self.value(expires, "--expires", Self.parseDate)
            return changes
        }

        private static func points(_ text: String) -> Double? {
            Double(text).flatMap { $0.isFinite && $0 >= 0 && $0 <= KeyChanges.maxPoints ? $0 : nil }
        }

        private static func value<T>(_ text: String?, _ flag: String, _ parse: (String) -> T?) throws -> T?? {
            guard let text else { return nil }
            if text == "none" { return .some(nil) }
            guard let value = parse(text) else { throw ValidationError("\(flag): '\(text)' is not a valid value") }
            return .some(value)
        }

        /// `--models` names only models or groups the config has: a typo would make a key that can use nothing.
        static func checkModels(_ changes: KeyChanges, in config: GatewayConfig) throws {
            guard let names = changes.models ?? nil else { return }
            let known = Set(config.models.map(\.name)).union(config.groups.keys)
            let unknown = names.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                let file = config.sourcePath ?? "the embedded default"
                throw ValidationError("--models: no model or group named \(unknown.joined(separator: ", ")) in \(file) (known: \(known.sorted().joined(separator: ", ")))")
            }
        }

        static func parseDate(_ text: String) -> Date? {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.locale = Locale(identifier: "en_US_POSIX")
            return formatter.date(from: text)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")
        @OptionGroup var options: ConfigOption
        @Option(help: "A name to recognise the key by.") var name: String
        @OptionGroup var limits: Limits

        func validate() throws { _ = try limits.changes() }

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            let changes = try limits.changes()
            try Limits.checkModels(changes, in: config)
            let store = try await openStorage(database: config.database)
            let (key, record) = try await store.createKey(name: name, limits: changes)
            print(key)
            // Keys live in the config's database, relative to the working directory: say which file, so a key made
            // from another folder (another chorus.sqlite) is not a mystery 401 later.
            let database = URL(fileURLWithPath: config.database).standardizedFileURL.path
            FileHandle.standardError.write(Data("created key \(record.id) '\(record.name)' in \(database); it is shown only this once.\n".utf8))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a key's limits, balance or budget (a running server applies them within server.key_cache_seconds).")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's ID from `chorus keys list`.") var id: Int64
        @Option(help: "A new name.") var name: String?
        @OptionGroup var limits: Limits

        func validate() throws { _ = try limits.changes() }

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            var changes = try limits.changes()
            changes.name = name
            try Limits.checkModels(changes, in: config)
            guard let key = try await openStorage(database: config.database).updateKey(id: id, changes, now: Date().timeIntervalSince1970) else {
                FileHandle.standardError.write(Data("error: no key with ID \(id)\n".utf8))
                throw ExitCode(1)
            }
            Show.print(key)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A key's limits, balance, budget and spend (no secret).")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's ID from `chorus keys list`.") var id: Int64

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            guard let key = try await openStorage(database: config.database).key(id: id) else {
                FileHandle.standardError.write(Data("error: no key with ID \(id)\n".utf8))
                throw ExitCode(1)
            }
            Self.print(key)
        }

        static func print(_ key: APIKeyRecord) {
            func points(_ value: Double?) -> String { value.map { String(format: "%g", $0) } ?? "-" }
            let lines: [(String, String)] = [
                ("id", String(key.id)), ("name", key.name), ("key", "sk-chorus-…\(key.keyHint)"), ("status", List.status(key)),
                ("models", key.models?.joined(separator: ",") ?? "*"), ("rpm", key.rpm.map(String.init) ?? "-"),
                ("max_concurrency", key.maxConcurrency.map(String.init) ?? "-"), ("balance", points(key.balance)),
                ("balance_reset", key.balanceReset.map { "\($0.rawValue) to \(points(key.balanceRefill))" } ?? "-"),
                ("budget", key.budget.map { "\(points($0)) per \(key.budgetPeriod?.rawValue ?? "monthly") period, \(points(key.periodSpent)) spent" } ?? "-"),
                ("spend", points(key.spent)), ("expires", key.expiresAt.map(List.day.string(from:)) ?? "-"),
            ]
            for (name, value) in lines { Swift.print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0))\(value)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (no secrets).")
        @OptionGroup var options: ConfigOption

        static let day: DateFormatter = {
            let day = DateFormatter()
            day.dateFormat = "yyyy-MM-dd"
            day.timeZone = TimeZone(identifier: "UTC")
            return day
        }()

        static func status(_ key: APIKeyRecord) -> String {
            key.revokedAt != nil ? "revoked" : key.isExpired() ? "expired" : "active"
        }

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            let keys = try await openStorage(database: config.database).listKeys()
            print(["ID", "NAME", "KEY", "RPM", "MODELS", "BALANCE", "SPEND", "EXPIRES", "STATUS"].joined(separator: "\t"))
            for key in keys {
                let balance: String = key.balance.map { String(format: "%g", $0) } ?? "-"
                let models: String = key.models?.joined(separator: ",") ?? "*"
                let expires: String = key.expiresAt.map(Self.day.string(from:)) ?? "-"
                let rpm: String = key.rpm.map(String.init) ?? "-"
                let cells: [String] = [String(key.id), key.name, "sk-chorus-…\(key.keyHint)", rpm, models, balance,
                                       String(format: "%g", key.spent), expires, Self.status(key)]
                print(cells.joined(separator: "\t"))
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
