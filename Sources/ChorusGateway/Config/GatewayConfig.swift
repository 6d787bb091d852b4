import ChorusMedia
import ChorusWire
import Foundation

/// Everything `chorus.yaml` can say. Every field has a default; `ConfigLoader` documents the keys.
public struct GatewayConfig: Sendable {
    public var server = ServerConfig()
    /// SQLite file; relative paths are relative to the working directory.
    public var database = "chorus.sqlite"
    /// Voice presets and stored custom voices.
    public var voicesDirectory = "voices"
    /// Stored images served by `/v1/media/{id}`.
    public var mediaDirectory = "media"
    /// Where custom voices' samples and stored images keep their bytes; nil = the default for the database
    /// (`effectiveBlobStorage`).
    public var blobStorage: BlobStorage?
    public var providers: [ProviderConfig] = []
    public var models: [ModelConfig] = []
    /// Named lists of models (`groups:`): a key's `models` may name a group instead of listing its models.
    public var groups: [String: [String]] = [:]
    /// The file this came from, for error messages; nil for the embedded default.
    public var sourcePath: String?

    public init() {}

    public func provider(named name: String) -> ProviderConfig? { providers.first { $0.name == name } }

    /// In the database for PostgreSQL (every replica reads what another stored, with no shared filesystem), as
    /// files under `voices_dir`/`media_dir` for SQLite (one machine; the files stay easy to back up and inspect).
    public var effectiveBlobStorage: BlobStorage {
        blobStorage ?? (database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") ? .database : .files)
    }

    /// What Chorus runs with when there is no config file: the in-process engines only.
    public static var embeddedDefault: GatewayConfig {
        var config = GatewayConfig()
        config.providers = [ProviderConfig(name: "local", type: .builtin)]
        config.models = [
            ModelConfig(name: "local-tts", provider: "local", model: "espeak", capabilities: [.speech]),
            ModelConfig(name: "tts-1", provider: "local", model: "espeak", capabilities: [.speech]),
            ModelConfig(name: "local-stt", provider: "local", model: "pocketsphinx", capabilities: [.transcription, .translation]),
            ModelConfig(name: "whisper-1", provider: "local", model: "pocketsphinx", capabilities: [.transcription, .translation]),
        ]
        return config
    }
}

/// `blob_storage`: where voice samples and stored images live.
public enum BlobStorage: String, Sendable, CaseIterable {
    /// The `blobs` table of the configured database.
    case database
    /// Files under `voices_dir`/custom and `media_dir` (a folder several replicas share, e.g. NFS, works too).
    case files
}

public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Limit for multipart uploads (transcriptions, image edits).
    public var maxUploadMB = 25
    /// Limit for JSON bodies (chat, speech with an inline audio sample).
    public var maxBodyMB = 32
    /// Base of URLs Chorus hands out (stored images).
    public var publicURL = "http://127.0.0.1:8080"
    /// Whether `public_url` was written in the config; when not, it follows the host and port the server is given
    /// (`chorus serve --port`).
    public var publicURLIsExplicit = false

    /// `chorus serve --host/--port`: moves the address, and with it `public_url` unless the config set one.
    public mutating func override(host: String?, port: Int?) {
        if let host { self.host = host }
        if let port { self.port = port }
        if !publicURLIsExplicit { publicURL = "http://\(self.host):\(self.port)" }
    }
    /// Default requests per minute for keys that do not set their own (0 = unlimited).
    public var defaultRPM = 0
    /// Requests per minute the whole gateway takes from all keys together, the master key's API calls included
    /// (`/admin` is exempt, so an operator can always get in). 0 = unlimited.
    public var globalRPM = 0
    /// Seconds a looked-up API key is cached; a revoked key stops working within this time.
    public var keyCacheSeconds = 2.0
    /// How many replicas share the database and the traffic. Rate windows and concurrency counts live in each
    /// replica's memory, so each enforces its share of every such limit: ⌈limit / replicas⌉ (at least 1). Points
    /// (balances, budgets) are exact whatever this says: they are held in the database.
    public var replicas = 1
    public var logLevel = "info"
    /// Accepted length of a voice sample (inline `audio_sample` or a stored custom voice), in seconds.
    public var voiceSampleMinSeconds = 1.0
    public var voiceSampleMaxSeconds = 60.0
    /// How long a stored image (a `url` answer) stays reachable under `/v1/media/{id}`.
    public var mediaTTLSeconds = 3600.0
    /// Images (and masks) with more pixels than this are refused from their header, before decoding.
    public var maxImagePixels = 4096 * 4096
    /// Seconds a request head may take from its first byte (from the connection opening, for the first request);
    /// past it the client gets 408 and the connection closes. A head is a few hundred bytes: even a stalled mobile
    /// link that retransmits a few times delivers it well within this.
    public var headerTimeoutSeconds = 30.0
    /// Seconds a keep-alive connection may wait for its next request. Longer than the idle expiry of common client
    /// pools (httpx 5 s, aiohttp 15 s) so they drop a connection before Chorus does, and than a load balancer's
    /// usual 60 s, so one in front never reuses a connection Chorus just closed.
    public var idleTimeoutSeconds = 75.0
    /// Seconds a request body may stall (nothing arrives while Chorus is reading it); past it the request is 408
    /// and the connection closes. There is no total limit: a slow upload that keeps moving is never cut.
    public var bodyTimeoutSeconds = 60.0
    /// Open client connections accepted at once (0 = no cap); one more gets 503 and is closed. Each proxied call
    /// may hold an upstream connection too: keep it under half the process's open-file limit (`ulimit -n`).
    public var maxConnections = 512
    /// On SIGTERM: seconds requests in flight may take to finish before they are cancelled (usage rows say 503).
    public var shutdownGraceSeconds = 30.0
    /// `/v1/realtime`: a write to a client's socket pending this long means the client stopped reading; its session
    /// closes with 1008 instead of buffering more for it.
    public var realtimeClientWriteTimeoutSeconds = 10.0
    /// When set, `/metrics` answers only `Authorization: Bearer <metrics_key>` (401 otherwise).
    public var metricsKey: String?
    /// The master key, when the config names it (usually `${CHORUS_MASTER_KEY}`); the environment's
    /// `CHORUS_MASTER_KEY` wins. Neither: `chorus serve` makes one for the run and shows it once.
    public var masterKey: String?
    /// Usage rows older than this many days are deleted in the background (hourly and at start); 0 keeps them all.
    public var logRetentionDays = 0
    /// Documents one rerank request may carry (Cohere's own limit); more is a 400 before any provider is asked.
    public var maxRerankDocuments = 1000
    /// `/lollms/v1/long_context_process`: model calls one request runs at once (its map calls, then its reduce calls).
    public var longContextConcurrency = 4
    /// The LoopGpt-style chat API sends at most this many of a conversation's latest messages upstream as history
    /// (user and assistant messages count one each; 0 sends none).
    public var chatHistoryMessages = 40
    /// …and of those, only the latest whose text adds up to at most this many characters (the new message is sent
    /// whole and does not count).
    public var chatHistoryCharacters = 32_000
    /// RAG datastores: a document is cut into chunks of at most this many characters for embedding…
    public var ragChunkCharacters = 1000
    /// …each starting with at most this many characters (whole sentences) of the chunk before; at most half a chunk.
    public var ragChunkOverlap = 200

    public init() {}
}

extension ProviderConfig {
    /// `base_url` without a trailing `/v1`: where vLLM and llama.cpp serve their tokenizers.
    var serverRoot: String {
        var root = baseURL
        while root.hasSuffix("/") { root.removeLast() }
        if root.hasSuffix("/v1") { root.removeLast(3) }
        return root
    }
}

public enum ProviderType: String, Sendable, CaseIterable {
    /// Any OpenAI-compatible server.
    case openai
    /// AUTOMATIC1111 Stable Diffusion WebUI.
    case sdwebui
    /// espeak-ng and pocketsphinx in-process.
    case builtin
}

public struct ProviderConfig: Sendable {
    public var name: String
    public var type: ProviderType
    public var baseURL = ""
    public var apiKey: String?
    public var headers: [(String, String)] = []
    /// Seconds for a whole non-streamed upstream transfer (0 = none).
    public var timeout = 60.0
    /// Streamed answers (SSE) have no total limit; they are aborted after this many seconds without a byte (0 = never).
    public var streamIdleTimeout = 60.0
    /// Seconds to wait for the provider's response headers, streamed or not (0 = no limit); nil means `timeout`.
    /// The one bound on a streamed answer before its first byte, since streams have no total limit.
    public var firstByteTimeout: Double?
    public var connectTimeout = 10.0
    /// A PEM file of the authorities that sign the provider's TLS certificate (a private CA), for its HTTPS calls
    /// and its realtime WebSocket; nil: the system's.
    public var caFile: String?
    public var defaults: JSONValue = .object([])
    /// Speech formats the provider produces itself; others are transcoded from one of these.
    public var speechFormats: [AudioFormat] = [.mp3, .opus, .aac, .flac, .wav, .pcm]
    public var voiceCloning = VoiceCloning.none
    public var maskMode = MaskMode.alpha
    public var maskEditColor = MaskEditColor.white
    public var transcriptionInput = TranscriptionInput.original
    /// Transcription `response_format`s the provider renders itself; for others Chorus asks for verbose_json.
    public var transcriptionFormats: [TranscriptFormat] = [.json, .text, .srt, .verboseJSON, .vtt]
    public var allowPrivateURLs = false
    /// Image `output_format`s the provider produces itself; for others Chorus asks for png and converts.
    public var imageFormats: [ImageFormat] = [.png, .jpeg, .webp]
    /// Image request fields the provider accepts (besides model, prompt and the files); the rest are not sent.
    public var imageParams: [String] = ProviderConfig.allImageParams
    /// `png`: edit/variation inputs in jpeg or webp are converted to PNG before forwarding.
    public var imageInput = ImageInput.original
    /// Extra tries on this provider for failures that did no work upstream (connection refused, 429, 502, 503, 504),
    /// before the first byte reaches the caller.
    public var retries = 0
    /// The first retry waits about this many seconds; each next one twice as long (with jitter, at most 5 s).
    public var retryBackoff = 0.25
    /// Consecutive failures (unreachable, timed out, 5xx, unreadable answers) that open the provider's circuit:
    /// its models then go straight to their fallbacks, or answer 503. 0 turns the breaker off.
    public var circuitBreakerFailures = 5
    /// Seconds an open circuit stays open before one probe call may try the provider again.
    public var circuitBreakerCooldown = 30.0
    /// Seconds of audio one request may put through Chorus's own audio work for this provider: a transcription or
    /// translation upload (refused from its container's duration before decoding, and cut off while decoding when
    /// that duration lied) and, for `builtin`, speech synthesised by espeak-ng (stopped at the limit). Over it: 400
    /// `audio_too_long` naming the limit. 4 hours by default. For providers reached over HTTP it is also the
    /// longest piece of a transcription sent in one request: a longer upload is split at silences (see
    /// `maxUploadMB`) rather than refused.
    public var maxAudioSeconds = 14400.0
    /// The largest upload (MB) this provider takes in one transcription request (OpenAI: 25); nil = no limit of its
    /// own. A larger upload is split at silences into pieces under both limits, sent `splitParallel` at a time.
    public var maxUploadMB: Double?
    /// Pieces of a split transcription in flight at once.
    public var splitParallel = 2
    /// `rerank_path`: where rerank requests go, under `base_url` (vLLM, Infinity, LocalAI: `/v1/rerank`).
    public var rerankPath = "/rerank"
    /// `tokenize_path` / `detokenize_path`: under the server's root, which is `base_url` without a trailing `/v1`
    /// (vLLM and the llama.cpp server answer `/tokenize` and `/detokenize` there, beside `/v1`).
    public var tokenizePath = "/tokenize"
    public var detokenizePath = "/detokenize"
    /// `tokenizer`: the body shape of those two endpoints.
    public var tokenizer = TokenizerAPI.vllm

    public static let allImageParams = [
        "n", "size", "quality", "style", "background", "output_format", "output_compression", "moderation",
        "response_format", "user", "stream", "partial_images", "input_fidelity",
    ]

    public init(name: String, type: ProviderType) {
        self.name = name
        self.type = type
        // AUTOMATIC1111 inpaints where the mask is white and answers base64 PNG.
        if type == .sdwebui {
            maskMode = .whiteEdits
            imageFormats = [.png]
        }
    }
}

/// What a call for a model past its `shutdown_date` gets.
public enum ShutdownAction: String, Sendable, CaseIterable {
    /// Served by the model's `replacement` (followed until a model that is not shut down), saying so in a header.
    case remap
    /// 410 `model_shut_down`, naming the date and the replacement.
    case refuse
}

/// What a model may be called for. `images` is generation; `image_edits` covers edits and variations.
public enum Capability: String, Sendable, CaseIterable {
    case chat, completions, embeddings, rerank, tokenize, speech, transcription, translation, images
    case imageEdits = "image_edits"
    /// `/v1/realtime` sessions; opt-in (no provider offers it unless a model's config names it).
    case realtime
}

/// `translation_via:` of a model: which model transcribes and which chat model translates into English.
public struct TranslationVia: Sendable, Hashable {
    public var transcriptionModel: String
    public var chatModel: String

    public init(transcriptionModel: String, chatModel: String) {
        self.transcriptionModel = transcriptionModel
        self.chatModel = chatModel
    }
}

public struct ModelConfig: Sendable {
    public var name: String
    public var provider: String
    /// The name the provider knows the model by.
    public var model: String
    public var defaults: JSONValue = .object([])
    /// nil = whatever the provider offers.
    public var capabilities: Set<Capability>?
    /// Models tried in order when this one's provider fails before anything was sent to the caller.
    public var fallbacks: [String]
    /// Points a call costs (nil = free: nothing is charged, `cost` stays empty in the row).
    public var price: ModelPrice?
    /// Translations served as a transcription then a chat model's translation into English (for providers that no
    /// longer serve `/v1/audio/translations`).
    public var translationVia: TranslationVia?
    /// `speech_via: realtime`: `/v1/audio/speech` for this model is read aloud by a realtime session of its provider
    /// (voice models that are no longer served on the REST speech endpoint).
    public var speechViaRealtime = false
    /// `transcription_via: realtime`: transcriptions for this model go through a realtime transcription session.
    public var transcriptionViaRealtime = false
    /// `chat_model`: the configured chat model that answers a realtime session of an in-process engine (the
    /// builtin `realtime` model listens, asks this model, and speaks its answer); nil = the model cannot answer.
    public var chatModel: String?
    /// `variations_via: edit`: `/v1/images/variations` for this model is served as an edit of the image with
    /// `variation_prompt` (for providers without a variations endpoint — it only ever took dall-e-2).
    public var variationsViaEdit = false
    /// The edit prompt of a variation served as an edit.
    public var variationPrompt = ModelConfig.defaultVariationPrompt
    public static let defaultVariationPrompt = "A variation of this image: the same subject, composition and style, with small differences in the details."
    /// `shutdown_date`: midnight UTC of the day the model stops being served as itself (`on_shutdown` says what
    /// its calls get from then on). Its answers carry `Sunset` with this date, and the model list shows it.
    public var shutdownDate: Date?
    /// `deprecated_since`: the day the model is (or was) deprecated, sent as `Deprecation`; nil = the shutdown date.
    /// A model with only this gets `Deprecation` and no `Sunset`.
    public var deprecatedSince: Date?
    /// `replacement`: the configured model that takes over from this one: listed, named in the 410 of a shut-down
    /// model, and serving its calls under `on_shutdown: remap`.
    public var replacement: String?
    /// `on_shutdown`: what a call for the model gets on and after `shutdown_date`.
    public var onShutdown = ShutdownAction.refuse
    /// `image_caps`: the image requests (sizes, formats, transparency, n, qualities) the model takes; nil = any.
    public var imageCaps: ImageCaps?
    /// The public catalog's (`/api/models`) words for the model: `description`, `category` (nil = its type) and
    /// `slug` (nil = the name). Never anything about its provider.
    public var description: String?
    public var category: String?
    public var slug: String?
    /// `context_length`: tokens the model takes in one call, shown in the catalog; nil = not known.
    public var contextLength: Int?

    public init(name: String, provider: String, model: String, defaults: JSONValue = .object([]),
                capabilities: Set<Capability>? = nil, fallbacks: [String] = [], price: ModelPrice? = nil) {
        self.name = name
        self.provider = provider
        self.model = model
        self.defaults = defaults
        self.capabilities = capabilities
        self.fallbacks = fallbacks
        self.price = price
    }
}
