/// A stored custom voice (`voices`): its normalised mono WAV sample lives under `voices/custom/<id>.wav`.
public struct VoiceRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Unix seconds.
    public var createdAt: Int
    public var durationSeconds: Double
    public var sampleRate: Int
    public var consent: String?

    public init(id: String, name: String, createdAt: Int, durationSeconds: Double, sampleRate: Int, consent: String?) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.durationSeconds = durationSeconds
        self.sampleRate = sampleRate
        self.consent = consent
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case createdAt = "created_at"
        case durationSeconds = "duration"
        case sampleRate = "sample_rate"
        case consent
    }
}
