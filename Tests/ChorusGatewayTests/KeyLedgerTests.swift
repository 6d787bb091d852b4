import ChorusGateway
import Foundation
import Testing

/// The points arithmetic every store runs in its transaction, the price of a row, and the config and CLI that set
/// them up.
@Suite struct KeyLedgerTests {
    static func key(balance: Double? = nil) -> APIKeyRecord {
        var key = APIKeyRecord(id: 1, name: "k", keyHash: "h", keyHint: "abcd", rpm: nil, models: nil, expiresAt: nil,
                               createdAt: Date(timeIntervalSince1970: 0), revokedAt: nil)
        key.balance = balance
        return key
    }

    /// 2026-12-05T12:00:00Z.
    static let noon = 1_796_472_000.0

    @Test func reservationIsAdmittedOnlyWhileTheBalanceCoversIt() {
        var key = Self.key(balance: 2.5)
        #expect(key.reserve(1, now: Self.noon) == .admitted)
        #expect(key.reserve(1, now: Self.noon) == .admitted)
        #expect(key.reserve(1, now: Self.noon) == .insufficientBalance(retryAfter: nil))
        #expect(key.balance == 0.5)
        // Nothing held (priced only by use): admitted while anything is left.
        #expect(key.reserve(0, now: Self.noon) == .admitted)
        key.settle(reserved: 0, cost: 0.5)
        #expect(key.reserve(0, now: Self.noon) == .insufficientBalance(retryAfter: nil))
    }

    @Test func settlingGivesTheHoldBackAndOverrunsByAtMostTheCallsOwnExcess() {
        var key = Self.key(balance: 3)
        #expect(key.reserve(2, now: Self.noon) == .admitted)
        key.settle(reserved: 2, cost: 5)
        #expect(key.balance == -2)
        #expect(key.spent == 5)
        #expect(key.reserve(0, now: Self.noon) == .insufficientBalance(retryAfter: nil))
    }

    @Test func aResettingBalanceIsRefilledAtTheNextPeriodAndSaysWhenWhenEmpty() {
        var key = Self.key(balance: 1)
        var changes = KeyChanges()
        changes.balanceReset = .some(.daily)
        changes.balanceRefill = .some(5)
        changes.apply(to: &key, now: Self.noon)
        #expect(key.reserve(1, now: Self.noon) == .admitted)
        // Empty until midnight UTC: 12 hours.
        #expect(key.reserve(1, now: Self.noon) == .insufficientBalance(retryAfter: 43200))
        #expect(key.reserve(1, now: Self.noon + 43200) == .admitted)
        #expect(key.balance == 4)
    }

    @Test func aBudgetCountsPerPeriodAndStartsAgainAtZero() {
        var key = Self.key()
        var changes = KeyChanges()
        changes.budget = .some(2)
        changes.apply(to: &key, now: Self.noon)
        #expect(key.budgetPeriod == .monthly)
        #expect(key.reserve(1, now: Self.noon) == .admitted)
        key.settle(reserved: 1, cost: 1.5)
        #expect(key.periodSpent == 1.5)
        #expect(key.reserve(1, now: Self.noon) == .overBudget(retryAfter: Int(1_798_761_600 - Self.noon)))
        // 2027-01-01: a new month.
        #expect(key.reserve(1, now: 1_798_761_600) == .admitted)
        #expect(key.periodSpent == 1)
    }

    @Test func periodsAreUTCDaysAndMonths() {
        #expect(KeyPeriod.daily.start(of: Self.noon) == Self.noon - 43200)
        #expect(KeyPeriod.daily.next(after: Self.noon) == Self.noon + 43200)
        #expect(KeyPeriod.monthly.start(of: Self.noon) == 1_796_083_200)   // 2026-12-01
        #expect(KeyPeriod.monthly.next(after: Self.noon) == 1_798_761_600) // 2027-01-01
    }

    @Test func aRowCostsTheSumOfItsPricedUnits() {
        var price = ModelPrice()
        price.perRequest = 0.5
        price.per1kInputTokens = 1
        price.per1kOutputTokens = 2
        price.per1kCharacters = 2
        price.perAudioMinute = 1
        price.perImage = 3
        var row = UsageRecord(requestID: "r", route: "/x")
        row.promptTokens = 1000
        row.completionTokens = 500
        row.characters = 500
        row.audioSeconds = 90
        row.images = 2
        #expect(price.cost(of: row) == 0.5 + 1 + 1 + 1 + 1.5 + 6)
    }

    // MARK: config

    static let base = "providers: {p: {type: builtin}}\nmodels:\n  - {name: m, provider: p, price: %@}\n"

    @Test func everyPriceKeyIsLoaded() throws {
        for key in ModelPrice.keys {
            let config = try ConfigLoader(environment: [:]).parse(Self.base.replacingOccurrences(of: "%@", with: "{\(key): 1.25}"), file: "t.yaml")
            #expect(config.models.first?.price?[key] == 1.25, "\(key)")
        }
    }

    @Test func negativeOrNonNumericPricesAreStartUpErrorsNamingFileKeyAndLine() {
        for (value, key) in [("{per_request: -1}", "per_request"), ("{per_image: lots}", "per_image")] {
            let error = #expect(throws: ConfigError.self) {
                try ConfigLoader(environment: [:]).parse(Self.base.replacingOccurrences(of: "%@", with: value), file: "prices.yaml")
            }
            let text = error.map { String(describing: $0) } ?? ""
            #expect(text.contains("prices.yaml") && text.contains("models[0].price.\(key)") && text.contains("line 3"), "\(text)")
        }
        #expect(throws: ConfigError.self) {
            try ConfigLoader(environment: [:]).parse(Self.base.replacingOccurrences(of: "%@", with: "{per_call: 1}"), file: "t.yaml")
        }
    }

    @Test func groupsMustListKnownModelsAndNotShadowOne() {
        let models = "providers: {p: {type: builtin}}\nmodels: [{name: m, provider: p}]\n"
        #expect(throws: ConfigError.self) { try ConfigLoader(environment: [:]).parse(models + "groups: {g: [nope]}", file: "t.yaml") }
        #expect(throws: ConfigError.self) { try ConfigLoader(environment: [:]).parse(models + "groups: {m: [m]}", file: "t.yaml") }
        #expect((try? ConfigLoader(environment: [:]).parse(models + "groups: {g: [m]}", file: "t.yaml"))?.groups == ["g": ["m"]])
    }

    // MARK: CLI

    @Test func cliCreatesUpdatesAndShowsAKeysLimitsAndPoints() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configPath = directory.appendingPathComponent("chorus.yaml").path
        try "database: \(directory.appendingPathComponent("c.sqlite").path)\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        func chorus(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try runChorus(arguments + ["--config", configPath], withErrors: true)
        }
        let created = try chorus(["keys", "create", "--name", "team", "--balance", "100", "--max-concurrency", "4", "--budget", "10",
                                  "--budget-period", "daily"])
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("sk-chorus-"))
        let updated = try chorus(["keys", "update", "1", "--balance", "250", "--max-concurrency", "none"])
        #expect(updated.status == 0, "\(updated.output)")
        let shown = try chorus(["keys", "show", "1"])
        #expect(shown.output.contains("balance         250"), "\(shown.output)")
        #expect(shown.output.contains("max_concurrency -"), "\(shown.output)")
        #expect(shown.output.contains("10 per daily period"), "\(shown.output)")
        #expect(!shown.output.contains("sk-chorus-") || !shown.output.contains(created.output.split(separator: "\n").first.map(String.init) ?? "?"))
        #expect(try chorus(["keys", "update", "1", "--balance", "-5"]).status != 0)
        #expect(try chorus(["keys", "show", "99"]).status != 0)
        let typo = try chorus(["keys", "create", "--name", "typo", "--models", "gpt-4o-mnii"])
        #expect(typo.status != 0)
        #expect(typo.output.contains("no model or group named gpt-4o-mnii"), "\(typo.output)")
    }
}
