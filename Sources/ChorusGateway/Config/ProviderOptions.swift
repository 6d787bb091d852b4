/// The enumerated provider settings of `chorus.yaml`: parsed once by the loader, their allowed values are their cases.

/// How a provider takes a voice to clone (provider config `voice_cloning`).
public enum VoiceCloning: String, Sendable, CaseIterable {
    /// Named voices only.
    case none
    /// A base64 WAV in the JSON body's `audio_sample` field.
    case audioSample = "audio_sample"
    /// No cloning: the provider speaks the sample with the closest of its own voices (pitch, speaking rate, male
    /// or female), as the embedded engine does. Not a config value: a provider's nature.
    case match
}

/// How a provider wants transcription uploads (provider config `transcription_input`).
public enum TranscriptionInput: String, Sendable, CaseIterable {
    /// The caller's file as it came.
    case original
    /// Decoded and sent as 16 kHz mono WAV (servers that only read WAV).
    case wav16k
}

/// The `response_format`s of a transcription.
public enum TranscriptFormat: String, Sendable, CaseIterable {
    case json, text, srt, vtt
    case verboseJSON = "verbose_json"
    /// Segments with a `speaker` each (OpenAI's diarizing transcription models).
    case diarizedJSON = "diarized_json"

    public var contentType: String {
        switch self {
        case .json, .verboseJSON, .diarizedJSON: "application/json"
        case .text: "text/plain; charset=utf-8"
        case .srt: "application/x-subrip; charset=utf-8"
        case .vtt: "text/vtt; charset=utf-8"
        }
    }
}

/// How a provider wants edit inputs (provider config `image_input`).
public enum ImageInput: String, Sendable, CaseIterable {
    /// The caller's images as they came (png, jpeg or webp).
    case original
    /// Converted to PNG before forwarding (servers that read only PNG, like OpenAI's dall-e-2 edits).
    case png
}

/// The body shape of a provider's `/tokenize` and `/detokenize` (provider config `tokenizer`).
public enum TokenizerAPI: String, Sendable, CaseIterable {
    /// vLLM: `{model, prompt}` → `{tokens, count, max_model_len}`; `{model, tokens}` → `{prompt}`.
    case vllm
    /// The llama.cpp server: `{content}` → `{tokens}`; `{tokens}` → `{content}`.
    case llamacpp
}
