@testable import ChorusGateway
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `/admin/usage` and `/admin/logs` over a real SQLite store: the rows are written through `appendUsage` with the
/// windows in the past, so the admin calls' own rows (written now) never fall inside them.
@Suite struct UsageReportTests {
    static func at(_ date: String, hour: Double = 0) -> Date {
        (UsageTime.parse(date) ?? Date(timeIntervalSince1970: 0)).addingTimeInterval(hour * 3600)
    }

    static func row(_ date: Date, key: Int64? = nil, model: String? = "gpt-x", route: String = "/v1/chat/completions",
                    status: Int = 200, tokens: (Int, Int)? = nil, characters: Int? = nil, audio: Double? = nil,
                    images: Int? = nil, cost: Double? = nil) -> UsageRecord {
        var record = UsageRecord(requestID: "req-\(UUID().uuidString)", route: route)
        record.createdAt = date
        record.keyID = key
        record.model = model
        record.status = status
        if let tokens {
            record.promptTokens = tokens.0
            record.completionTokens = tokens.1
            record.totalTokens = tokens.0 + tokens.1
        }
        record.characters = characters
        record.audioSeconds = audio
        record.images = images
        record.cost = cost
        record.tried = status >= 500 ? "a (p): 502" : nil
        return record
    }

    /// January 2025: every kind of row, some columns empty, costs that do not add up exactly in binary; plus rows
    /// just outside the window on both sides (the `until` instant itself is outside: the window is half-open).
    static func mixedRows(keys: [Int64]) -> [UsageRecord] {
        var rows: [UsageRecord] = []
        let models: [String?] = ["gpt-x", "tts-1", "whisper", nil]
        let routes = ["/v1/chat/completions", "/v1/audio/speech", "/v1/audio/transcriptions", "/v1/images/generations"]
        let statuses = [200, 200, 200, 429, 500, 499, 201]
        for i in 0..<61 {
            let date = at("2025-01-01", hour: Double(i) * 11.7)
            let key: Int64? = i % 4 == 0 ? nil : keys[i % keys.count]
            rows.append(row(date, key: key, model: models[i % models.count], route: routes[i % routes.count],
                            status: statuses[i % statuses.count],
                            tokens: i % 3 == 0 ? nil : (i * 7, i * 3), characters: i % 5 == 0 ? 100 + i : nil,
                            audio: i % 2 == 0 ? Double(i) * 0.25 : nil, images: i % 6 == 0 ? i % 4 + 1 : nil,
                            cost: i % 7 == 6 ? nil : Double(i) * 0.1))
        }
        rows.append(row(at("2024-12-31", hour: 23.99), key: keys[0], tokens: (1000, 1000), cost: 99))
        rows.append(row(at("2025-02-01"), key: keys[0], tokens: (1000, 1000), cost: 99))
        return rows
    }

    /// Every `/admin/logs` row of a window, through the pages.
    static func allLogRows(_ client: some TestClientProtocol, _ filters: String, pageSize: Int) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var before: Int?
        for _ in 0..<1000 {
            let cursor = before.map { "&before=\($0)" } ?? ""
            let response = try await client.execute(uri: "/admin/logs?\(filters)&limit=\(pageSize)\(cursor)", method: .get, headers: bearer(masterKey))
            try #require(response.status == .ok, "\(String(buffer: response.body))")
            let page = jsonObject(response.body)
            let data = try #require(page["data"] as? [[String: Any]])
            rows += data
            guard page["has_more"] as? Bool == true else {
                #expect(page["next_before"] is NSNull)
                return rows
            }
            before = try #require(page["next_before"] as? Int)
            #expect(before == data.last?["id"] as? Int)
        }
        Issue.record("paging did not end")
        return rows
    }

    static func usage(_ client: some TestClientProtocol, _ query: String) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
        let response = try await client.execute(uri: "/admin/usage?\(query)", method: .get, headers: bearer(masterKey))
        return (response.status, jsonObject(response.body))
    }

    static func number(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? 0 }
    static func text(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null" }
        return "\(value)"
    }

    @Test func usageTotalsEqualTheSumsOverTheLogRows() async throws {
        try await withGateway { client, gateway, _ in
            let store = gateway.services.store
            let first = try await store.createKey(name: "team-a", rpm: nil, models: nil, expiresAt: nil).record.id
            let second = try await store.createKey(name: "team-b", rpm: nil, models: nil, expiresAt: nil).record.id
            try await store.appendUsage(Self.mixedRows(keys: [first, second, 999]))
            let window = "since=2025-01-01&until=2025-02-01"
            let logRows = try await Self.allLogRows(client, window, pageSize: 17)
            #expect(logRows.count == 61)
            #expect(Set(logRows.compactMap { $0["id"] as? Int }).count == 61)
            #expect(logRows.allSatisfy { $0.keys.contains("cost") && $0.keys.contains("tried") })

            let measures = ["prompt_tokens", "completion_tokens", "total_tokens", "characters", "audio_seconds", "images", "cost"]
            for grouping in ["key", "model", "day", "route"] {
                let (status, report) = try await Self.usage(client, "group_by=\(grouping)&\(window)")
                #expect(status == .ok)
                #expect(report["group_by"] as? String == grouping && report["object"] as? String == "list")
                #expect(Self.number(report["since"]) == Self.at("2025-01-01").timeIntervalSince1970)
                #expect(Self.number(report["until"]) == Self.at("2025-02-01").timeIntervalSince1970)
                let data = try #require(report["data"] as? [[String: Any]])

                // The same sums, made here from the rows /admin/logs listed.
                func groupOf(_ row: [String: Any]) -> String {
                    switch grouping {
                    case "key": return Self.text(row["key_id"])
                    case "model": return Self.text(row["model"])
                    case "route": return Self.text(row["route"])
                    default:
                        let formatter = DateFormatter()
                        formatter.dateFormat = "yyyy-MM-dd"
                        formatter.timeZone = TimeZone(identifier: "UTC")
                        return formatter.string(from: Date(timeIntervalSince1970: Self.number(row["created_at"])))
                    }
                }
                let expected = Dictionary(grouping: logRows, by: groupOf)
                #expect(data.count == expected.count, "\(grouping)")
                for entry in data {
                    let group = Self.text(entry["group"])
                    let rows = try #require(expected[group], "\(grouping): no log rows for group \(group)")
                    #expect(entry["requests"] as? Int == rows.count, "\(grouping) \(group)")
                    #expect(entry["errors"] as? Int == rows.filter { ($0["status"] as? Int ?? 0) >= 400 }.count, "\(grouping) \(group)")
                    for measure in measures {
                        let sum = rows.reduce(0.0) { $0 + Self.number($1[measure]) }
                        #expect(abs(Self.number(entry[measure]) - sum) < 1e-9, "\(grouping) \(group) \(measure)")
                    }
                }
                let totalRequests = data.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) }
                #expect(totalRequests == 61)
            }
        }
    }

    @Test func usageGroupsByDayInUTC() async throws {
        try await withGateway { client, gateway, _ in
            // Half an hour either side of midnight UTC: two days, whatever the server's time zone.
            try await gateway.services.store.appendUsage([
                Self.row(Self.at("2025-03-01", hour: 23.5), cost: 1), Self.row(Self.at("2025-03-01", hour: 23.9), cost: 2),
                Self.row(Self.at("2025-03-02", hour: 0.5), cost: 4),
            ])
            let (status, report) = try await Self.usage(client, "group_by=day&since=2025-03-01&until=2025-03-03")
            #expect(status == .ok)
            let data = try #require(report["data"] as? [[String: Any]])
            #expect(data.map { $0["group"] as? String } == ["2025-03-01", "2025-03-02"])
            #expect(data.map { $0["requests"] as? Int } == [2, 1])
            #expect(data.map { Self.number($0["cost"]) } == [3, 4])
            // Unix seconds work as well as dates; an `until` of the first day's end leaves the second day out.
            let end = Int(Self.at("2025-03-02").timeIntervalSince1970)
            let (_, firstDay) = try await Self.usage(client, "group_by=day&since=1740787200&until=\(end)")
            #expect((firstDay["data"] as? [[String: Any]])?.map { $0["group"] as? String } == ["2025-03-01"])
        }
    }

    @Test func usageGroupsByKeyWithItsNameAndTheMasterKeyAsNull() async throws {
        try await withGateway { client, gateway, _ in
            let store = gateway.services.store
            let key = try await store.createKey(name: "team-a", rpm: nil, models: nil, expiresAt: nil).record.id
            let day = Self.at("2025-04-01", hour: 12)
            try await store.appendUsage([
                Self.row(day, key: nil, tokens: (1, 2)), Self.row(day, key: key, tokens: (10, 20), cost: 0.5),
                Self.row(day, key: key, status: 429), Self.row(day, key: 4242, tokens: (5, 5)),
            ])
            let (status, report) = try await Self.usage(client, "group_by=key&since=2025-04-01&until=2025-04-02")
            #expect(status == .ok)
            let data = try #require(report["data"] as? [[String: Any]])
            #expect(data.count == 3)
            #expect(data[0]["group"] is NSNull && data[0]["name"] is NSNull && data[0]["total_tokens"] as? Int == 3)
            #expect(data[1]["group"] as? Int == Int(key) && data[1]["name"] as? String == "team-a")
            #expect(data[1]["requests"] as? Int == 2 && data[1]["errors"] as? Int == 1 && Self.number(data[1]["cost"]) == 0.5)
            // A key id that no longer names a key keeps its rows, without a name.
            #expect(data[2]["group"] as? Int == 4242 && data[2]["name"] is NSNull)
        }
    }

    @Test func usageDefaultsToTheLastThirtyDays() async throws {
        try await withGateway { client, gateway, _ in
            let now = Date()
            try await gateway.services.store.appendUsage([
                Self.row(now.addingTimeInterval(-29 * 86400), model: "recent"), Self.row(now.addingTimeInterval(-31 * 86400), model: "old"),
            ])
            let (status, report) = try await Self.usage(client, "group_by=model")
            #expect(status == .ok)
            let groups = (report["data"] as? [[String: Any]])?.compactMap { $0["group"] as? String } ?? []
            #expect(groups.contains("recent") && !groups.contains("old"))
            #expect(abs(Self.number(report["until"]) - now.timeIntervalSince1970) < 60)
            #expect(abs(Self.number(report["until"]) - Self.number(report["since"]) - 30 * 86400) < 1)
        }
    }

    @Test func logsFilterByKeyModelRouteAndStatusClass() async throws {
        try await withGateway { client, gateway, _ in
            let store = gateway.services.store
            let day = Self.at("2025-05-01", hour: 1)
            var rows: [UsageRecord] = []
            for key in [Int64?.none, 7, 8] {
                for model in ["gpt-x", "tts-1"] {
                    for status in [200, 404, 429, 502] {
                        rows.append(Self.row(day, key: key, model: model, route: model == "gpt-x" ? "/v1/chat/completions" : "/v1/audio/speech",
                                             status: status, cost: 1))
                    }
                }
            }
            rows.append(Self.row(Self.at("2025-06-01"), key: 7, model: "gpt-x", status: 429))
            try await store.appendUsage(rows)
            func listed(_ filters: String) async throws -> [[String: Any]] {
                try await Self.allLogRows(client, filters, pageSize: 1000)
            }
            let window = "since=2025-05-01&until=2025-05-02"
            #expect(try await listed(window).count == 24)
            let keySeven = try await listed("key_id=7&\(window)")
            #expect(keySeven.count == 8 && keySeven.allSatisfy { $0["key_id"] as? Int == 7 })
            let master = try await listed("key_id=master&\(window)")
            #expect(master.count == 8 && master.allSatisfy { $0["key_id"] is NSNull })
            let clientErrors = try await listed("status=4xx&model=tts-1&key_id=8&\(window)")
            #expect(Set(clientErrors.compactMap { $0["status"] as? Int }) == [404, 429] && clientErrors.count == 2)
            #expect(clientErrors.allSatisfy { $0["model"] as? String == "tts-1" })
            let exact = try await listed("status=502&route=/v1/chat/completions")
            #expect(exact.count == 3 && exact.allSatisfy { $0["status"] as? Int == 502 && $0["route"] as? String == "/v1/chat/completions" })
            #expect(exact.allSatisfy { $0["tried"] as? String == "a (p): 502" && Self.number($0["cost"]) == 1 })
            // No window: every row, the June one too.
            #expect(try await listed("key_id=7&status=429").count == 3)
            // Newest first.
            let ids = try await listed(window).compactMap { $0["id"] as? Int }
            #expect(ids == ids.sorted(by: >))
        }
    }

    @Test func logsPageWithBeforeCursorWithoutGapsOrRepeats() async throws {
        try await withGateway { client, gateway, _ in
            let store = gateway.services.store
            let day = Self.at("2025-07-01", hour: 3)
            try await store.appendUsage((0..<25).map { Self.row(day.addingTimeInterval(Double($0)), model: "m\($0)") })
            let window = "since=2025-07-01&until=2025-07-02"
            var seen: [Int] = []
            var before: Int?
            var pages = 0
            repeat {
                let response = try await client.execute(uri: "/admin/logs?\(window)&limit=7" + (before.map { "&before=\($0)" } ?? ""),
                                                        method: .get, headers: bearer(masterKey))
                let page = jsonObject(response.body)
                seen += (page["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                before = page["next_before"] as? Int
                pages += 1
                // Rows written between pages are newer than the cursor: they never shift a later page.
                try await store.appendUsage([Self.row(day.addingTimeInterval(100 + Double(pages)), model: "late")])
                #expect((page["has_more"] as? Bool) == (before != nil))
            } while before != nil && pages < 10
            #expect(pages == 4)
            #expect(seen.count == 25 && Set(seen).count == 25 && seen == seen.sorted(by: >))
            let all = try await store.usageRows(UsageQuery(since: Self.at("2025-07-01"), until: Self.at("2025-07-02"), limit: 1000))
            #expect(Set(all.filter { $0.model != "late" }.map { Int($0.id) }) == Set(seen))
        }
    }

    @Test func badGroupByIs400NamingIt() async throws {
        try await withGateway { client, _, _ in
            let cases: [(String, String)] = [
                ("/admin/usage?group_by=team", "group_by"), ("/admin/usage?group_by=day&since=yesterday", "since"),
                ("/admin/usage?until=2025-02-30", "until"), ("/admin/usage?since=2025-03-02&until=2025-03-01", "since"),
                ("/admin/usage?group_by=day&limit=5", "limit"), ("/admin/usage?since=1e9", "since"),
                ("/admin/logs?status=6xx", "status"), ("/admin/logs?status=abc", "status"), ("/admin/logs?key_id=abc", "key_id"),
                ("/admin/logs?limit=0", "limit"), ("/admin/logs?limit=1001", "limit"), ("/admin/logs?before=x", "before"),
                ("/admin/logs?since=2025-01-02&until=2025-01-01", "since"), ("/admin/logs?modle=gpt-x", "modle"),
                ("/admin/logs?model=", "model"), ("/admin/logs?model=a&model=b", "model"),
            ]
            for (uri, param) in cases {
                let response = try await client.execute(uri: uri, method: .get, headers: bearer(masterKey))
                #expect(response.status == .badRequest, "\(uri)")
                let error = try errorBody(response)
                #expect(error.param == param, "\(uri): \(error.message)")
                #expect(error.message.contains(param), "\(uri): \(error.message)")
            }
        }
    }

    @Test func usageReportRefusesOrdinaryKeys() async throws {
        try await withGateway { client, _, _ in
            let created = try await client.execute(uri: "/admin/keys", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"name":"plain"}"#))
            let key = try #require(jsonObject(created.body)["key"] as? String)
            #expect(try await client.execute(uri: "/admin/usage", method: .get, headers: bearer(key)).status == .unauthorized)
            #expect(try await client.execute(uri: "/admin/usage", method: .get).status == .unauthorized)
        }
    }

    // MARK: Storage contract

    @Test(arguments: StorageBackend.available)
    func totalsCountEmptyColumnsAsNothingAndErrorsFrom400Up(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let day = Self.at("2025-08-01", hour: 1)
            try await store.appendUsage([Self.row(day, status: 399), Self.row(day, status: 400), Self.row(day, status: 599, cost: 0.25)])
            let totals = try await store.usageTotals(groupedBy: .model, UsageQuery())
            #expect(totals.count == 1)
            let only = try #require(totals.first)
            #expect(only.group == "gpt-x" && only.keyName == nil)
            #expect(only.requests == 3 && only.errors == 2 && only.cost == 0.25)
            #expect(only.totalTokens == 0 && only.audioSeconds == 0 && only.images == 0 && only.characters == 0)
            #expect(try await store.usageTotals(groupedBy: .route, UsageQuery(since: day.addingTimeInterval(1))).isEmpty)
        }
    }

    @Test func timesParseAsUnixSecondsOrUTCDatesOnly() {
        #expect(UsageTime.parse("2025-01-01") == Date(timeIntervalSince1970: 1_735_689_600))
        #expect(UsageTime.parse("1735689600.5") == Date(timeIntervalSince1970: 1_735_689_600.5))
        for bad in ["", "2025-1-1", "2025-02-30", "1e9", "inf", "0x10", "2025-01-01T00:00:00Z", "yesterday", "99999999999999"] {
            #expect(UsageTime.parse(bad) == nil, "\(bad)")
        }
    }
}
