@testable import ChorusGateway
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// `server.replicas`: every limit a replica counts in its own memory is cut to its share, so the replicas
/// together admit the key's limit; the headers still speak of the whole limit.
@Suite struct ReplicaShareTests {
    @Test func aShareIsTheLimitDividedRoundedUpAndNeverZero() {
        #expect(ReplicaShare(replicas: 1).of(7) == 7)
        #expect(ReplicaShare(replicas: 2).of(10) == 5)
        #expect(ReplicaShare(replicas: 3).of(10) == 4)
        #expect(ReplicaShare(replicas: 4).of(1) == 1)
        #expect(ReplicaShare(replicas: 0).of(9) == 9, "nonsense counts as one replica")
        #expect(ReplicaShare(replicas: 2).of(0) == 0, "0 stays 'unlimited'")
    }

    @Test func aKeyWith10RPMOnTwoReplicasGetsFiveHereAndTheHeadersNameTheWholeLimit() async throws {
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.server.replicas = 2
            return config
        }) { client, _, _ in
            let (key, _) = try await TenancyTests.createKey(client, #"{"name":"shared-ten","rpm":10}"#)
            let start = ContinuousClock.now
            var statuses: [HTTPResponse.Status] = []
            var limits: Set<String> = []
            for _ in 0..<6 {
                let response = try await TenancyTests.chat(client, key: key)
                statuses.append(response.status)
                limits.insert(response.headers[HTTPField.Name("x-ratelimit-limit-requests")!] ?? "none")
            }
            // The share refills one call every 12 s; a machine slow enough to see one may admit a sixth.
            if ContinuousClock.now - start < .seconds(12) {
                #expect(statuses.prefix(5).allSatisfy { $0 == .ok } && statuses[5] == .tooManyRequests, "\(statuses)")
            }
            #expect(limits == ["10"])
        }
    }

    @Test func theConfigReadsReplicasAndRefusesZero() throws {
        let loader = ConfigLoader(environment: [:])
        #expect(try loader.parse("server:\n  replicas: 3\n", file: "t.yaml").server.replicas == 3)
        #expect(throws: (any Error).self) { try loader.parse("server:\n  replicas: 0\n", file: "t.yaml") }
    }

    @Test func blobsGoToTheDatabaseForPostgreSQLAndToFilesForSQLiteUnlessTheConfigSays() throws {
        let loader = ConfigLoader(environment: [:])
        #expect(try loader.parse("database: chorus.sqlite\n", file: "t.yaml").effectiveBlobStorage == .files)
        #expect(try loader.parse("database: postgres://u:p@db/chorus\n", file: "t.yaml").effectiveBlobStorage == .database)
        #expect(try loader.parse("database: postgres://u:p@db/chorus\nblob_storage: files\n", file: "t.yaml").effectiveBlobStorage == .files)
        #expect(try loader.parse("blob_storage: database\n", file: "t.yaml").effectiveBlobStorage == .database)
        #expect(throws: (any Error).self) { try loader.parse("blob_storage: s3\n", file: "t.yaml") }
    }
}
