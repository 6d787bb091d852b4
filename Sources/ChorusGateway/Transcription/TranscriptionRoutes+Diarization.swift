import ChorusWire

extension TranscriptionRoutes.Parameters {
    /// `chunking_strategy` (`auto` or a JSON object), `known_speaker_names[]` and `known_speaker_references[]`
    /// (data URLs, one per name): checked here so a malformed one is a 400 naming it, then forwarded as sent.
    mutating func readDiarization(_ form: MultipartForm) throws(GatewayError) {
        if let strategy = form.field("chunking_strategy"), !strategy.isEmpty {
            if strategy != "auto" {
                guard case .object? = try? JSONParser.parse(Array(strategy.utf8)) else {
                    throw .invalidParameter("chunking_strategy", "'chunking_strategy' must be \"auto\" or a JSON object.")
                }
            }
            options.chunkingStrategy = strategy
        }
        let names = form.fieldValues("known_speaker_names[]") + form.fieldValues("known_speaker_names")
        let references = form.fieldValues("known_speaker_references[]") + form.fieldValues("known_speaker_references")
        guard names.count <= TranscriptionRoutes.maxKnownSpeakers else {
            throw .invalidParameter("known_speaker_names", "At most \(TranscriptionRoutes.maxKnownSpeakers) known speakers; got \(names.count).")
        }
        guard references.count == names.count else {
            throw .invalidParameter("known_speaker_references", "'known_speaker_references' needs one clip per name in 'known_speaker_names' (\(names.count) names, \(references.count) clips).")
        }
        for reference in references where !(reference.hasPrefix("data:") && reference.contains(";base64,")) {
            throw .invalidParameter("known_speaker_references", "'known_speaker_references' must be data URLs (data:audio/…;base64,…).")
        }
        options.knownSpeakerNames = names
        options.knownSpeakerReferences = references
    }
}
