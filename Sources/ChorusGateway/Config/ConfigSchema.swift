/// Every key `chorus.yaml` may hold, by section: the one list the loader accepts (any other key is an error) and
/// that the README's configuration reference is checked against (`ConfigSchemaTests`: a key documented but not
/// loaded, or loaded but not documented, fails the suite).
public enum ConfigSchema {
    public static let top: Set<String> = ["server", "database", "voices_dir", "media_dir", "blob_storage", "providers", "models", "groups"]

    public static let server: Set<String> = [
        "host", "port", "max_upload_mb", "max_body_mb", "public_url", "default_rpm", "replicas", "key_cache_seconds", "log_level",
        "voice_sample_min_seconds", "voice_sample_max_seconds", "media_ttl_seconds", "max_image_pixels",
        "header_timeout_seconds", "idle_timeout_seconds", "body_timeout_seconds", "max_connections",
        "shutdown_grace_seconds", "metrics_key", "global_rpm", "log_retention_days", "master_key", "max_rerank_documents", "long_context_concurrency",
        "chat_history_messages", "chat_history_characters", "rag_chunk_chars", "rag_chunk_overlap", "realtime_client_write_timeout_seconds",
    ]

    public static let provider: Set<String> = [
        "type", "base_url", "api_key", "headers", "timeout", "stream_idle_timeout", "connect_timeout", "defaults",
        "first_byte_timeout", "ca_file",
        "speech_formats", "voice_cloning", "mask_mode", "mask_edit_color", "transcription_input", "transcription_formats",
        "allow_private_urls", "image_formats", "image_params", "image_input", "max_audio_seconds", "max_upload_mb", "split_parallel",
        "retries", "retry_backoff", "circuit_breaker_failures", "circuit_breaker_cooldown",
        "rerank_path", "tokenize_path", "detokenize_path", "tokenizer",
    ]

    public static let price: Set<String> = Set(ModelPrice.keys)

    public static let model: Set<String> = [
        "name", "provider", "model", "defaults", "capabilities", "fallbacks", "price",
        "shutdown_date", "deprecated_since", "replacement", "on_shutdown", "image_caps", "translation_via",
        "speech_via", "transcription_via", "chat_model",
        "variations_via", "variation_prompt", "description", "category", "slug", "context_length",
    ]

    public static let imageCaps: Set<String> = ["sizes", "size_rule", "formats", "transparency", "max_n", "qualities"]

    public static let sizeRule: Set<String> = ["multiple_of", "min_pixels", "max_pixels", "min_aspect", "max_aspect"]

    public static let translationVia: Set<String> = ["transcription_model", "chat_model"]
}
