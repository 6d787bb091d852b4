/// The kinds of bytes the gateway keeps beside its rows: a custom voice's normalised WAV sample, a stored image.
/// Each is its own namespace of names, in the database (`blobs` table) or as a folder (`voices_dir`/custom,
/// `media_dir`).
public enum BlobBucket: String, Sendable, CaseIterable {
    case voices
    case media
}
