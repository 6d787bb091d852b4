@testable import ChorusGateway
import Foundation
import Testing

@Suite struct RAGPDFTextTests {
    @Test func pdftotextReadsAPageAndIsStoppedPastItsTimeLimit() async throws {
        let text = try await PDFText.extract(tinyPDF("Quiet rivers carry silt to the delta."))
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "Quiet rivers carry silt to the delta.")

        // No time at all: killed before it answers, and said so naming `file`. 8 MB of input also proves a killed
        // reader does not take the gateway down with SIGPIPE.
        let big = tinyPDF("x") + [UInt8](repeating: 0x20, count: 8 << 20)
        await #expect(throws: GatewayError.self) { try await PDFText.extract(big, timeout: .zero) }
        do {
            _ = try await PDFText.extract(big, timeout: .zero)
        } catch {
            #expect(error.param == "file" && error.message.contains("longer than"), "\(error.message)")
        }
    }
}
