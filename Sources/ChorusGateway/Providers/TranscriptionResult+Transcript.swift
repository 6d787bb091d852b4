import ChorusEngines
import ChorusUpstream
import NIOCore

extension TranscriptionResult.Answer {
    /// The transcription's answer as a transcript, whichever form it came in.
    func transcript(provider: String) async throws(GatewayError) -> Transcript {
        switch self {
        case .transcript(let transcript):
            return transcript
        case .body(let body, let contentType):
            return try Self.parsed(body, contentType: contentType, provider: provider)
        case .upstreamAnswer(let response):
            guard response.status == 200 else {
                throw .upstreamFailed(provider: provider, "its transcription answered \(response.status)")
            }
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: 16 << 20) } catch let error as UpstreamError {
                throw GatewayError(upstream: error, provider: provider)
            } catch {
                throw .upstreamFailed(provider: provider, "its transcription could not be read")
            }
            return try Self.parsed(body, contentType: response.header("Content-Type"), provider: provider)
        case .live:
            throw .internalError("A streamed transcription reached the translation pipeline.")
        }
    }

    private static func parsed(_ body: ByteBuffer, contentType: String?, provider: String) throws(GatewayError) -> Transcript {
        switch UpstreamTranscript(body: body, contentType: contentType) {
        case .timed(let transcript, _)?: return transcript
        case .text(let text, let language, let duration, _)?:
            return Transcript(text: text, language: language ?? "en", duration: duration ?? 0, segments: [], words: [])
        case nil: throw .upstreamFailed(provider: provider, "its answer is not a transcript")
        }
    }

}
