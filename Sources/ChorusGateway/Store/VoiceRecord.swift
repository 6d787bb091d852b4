/// A stored custom voice (`voices`): its normalised mono WAV sample lives under `voices/custom/<id>.wav`.
public struct VoiceRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Unix seconds.
    public var createdAt: Int
    public var durationSeconds: Double
    public var sampleRate: Int
    public var consent: String?
    /// The key that made the voice; nil when the master key (or the CLI) did. Only that key and the master key see it.
    public var ownerKeyID: Int64?

    public init(id: String, name: String, createdAt: Int, durationSeconds: Double, sampleRate: Int, consent: String?,
                ownerKeyID: Int64? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.durationSeconds = durationSeconds
        self.sampleRate = sampleRate
        self.consent = consent
        self.ownerKeyID = ownerKeyID
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case createdAt = "created_at"
        case durationSeconds = "duration"
        case sampleRate = "sample_rate"
        case consent
        case ownerKeyID = "owner_key_id"
    }
}
