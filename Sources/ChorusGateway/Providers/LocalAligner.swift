import ChorusEngines
import NIOConcurrencyHelpers

/// The embedded recogniser in alignment mode, for providers that answer text where the caller asked for times.
/// Its own decoder (~60 MB), loaded on first use, so a gateway that never needs it never pays for it.
final class LocalAligner: Sendable {
    private let engine = NIOLockedValueBox<PocketSphinxEngine?>(nil)

    func align(_ samples: [Int16], text: String, language: String?) async throws(GatewayError) -> AlignedTranscript {
        let engine = try BuiltinProvider.started(self.engine, what: "aligner") { try PocketSphinxEngine() }
        do {
            return try await engine.align(samples, text: text, language: language ?? "en")
        } catch is CancellationError {
            throw .clientClosed("The alignment stopped: the request was cancelled.")
        } catch {
            throw .internalError("Aligning the provider's transcript failed: \(error)")
        }
    }

    deinit {
        engine.withLockedValue { $0?.shutdown() }
    }
}
