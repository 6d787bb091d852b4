/// Bounds applied to every decode, probe and transcode, so hostile input cannot use unbounded
/// memory or time.
public struct AudioLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes. Larger input fails with ``AudioError/Kind/tooLarge``.
    public var maxInputBytes: Int
    /// Longest audio accepted, in seconds (declared by the container or actually decoded).
    /// Longer input fails with ``AudioError/Kind/tooLong``.
    public var maxDurationSeconds: Double
    /// How many bytes the container probe (and a WAV header) may read before giving up.
    public var probeBytes: Int

    public init(maxInputBytes: Int = 50 * 1024 * 1024, maxDurationSeconds: Double = 600, probeBytes: Int = 1024 * 1024) {
        self.maxInputBytes = maxInputBytes
        self.maxDurationSeconds = maxDurationSeconds
        self.probeBytes = probeBytes
    }
}
