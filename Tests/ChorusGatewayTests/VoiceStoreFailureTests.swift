@testable import ChorusGateway
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// A database that fails is a server error, never "that voice does not exist": a 404 would tell a client its
/// stored voice is gone when it is not.
@Suite struct VoiceStoreFailureTests {
    @Test func voiceLookupAndDeleteAnswer500WhenTheDatabaseFails() async throws {
        try await withGateway { client, gateway, _ in
            try await dropTable("voices", of: gateway)
            let id = "voice_" + String(repeating: "a", count: 24)
            let lookup = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(masterKey))
            #expect(lookup.status == .internalServerError)
            let deletion = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .delete, headers: bearer(masterKey))
            #expect(deletion.status == .internalServerError)
            let rows = try await logRows(gateway, atLeast: 2)
            #expect(rows.filter { $0.status == 500 }.count == 2)
        }
    }
}
