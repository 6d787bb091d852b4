import ChorusMedia

extension GatewayError {
    /// An upload that could not be turned into samples, as the client should read it: past the provider's
    /// `max_audio_seconds` (found while decoding: the container said less, or nothing), a decode stopped because
    /// the client left, or a file that is not audio Chorus can decode (`what`: "decoded", "converted").
    static func undecodableUpload(_ error: any Error, limit: Double, provider: String, what: String) -> GatewayError {
        if let error = error as? GatewayError { return error }
        if let error = error as? AudioError {
            if error.kind == .tooLong { return .audioTooLong(seconds: nil, limit: limit, provider: provider, param: "file") }
            if error.kind == .cancelled { return .clientClosed("The upload's decoding stopped: the request was cancelled.") }
        }
        return .invalidParameter("file", "The uploaded file could not be \(what) (\(audioReason(error))).")
    }

    /// Why a file is not usable audio, in words for the caller: FFmpeg's reason, never a Swift type name.
    static func audioReason(_ error: any Error) -> String {
        (error as? AudioError)?.message ?? "it is not audio Chorus can read"
    }
}
