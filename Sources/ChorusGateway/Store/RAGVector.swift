import Foundation

/// How a chunk's vector is stored: Float32 little-endian bytes (a BLOB in SQLite, bytea in PostgreSQL) beside its
/// Euclidean norm, so a search computes one dot product per chunk and no square roots.
public enum RAGVector {
    public static func bytes(of vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The vector stored as `bytes`; nil when the length is not a whole number of Float32s.
    public static func vector(from bytes: some Collection<UInt8>) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        var vector: [Float] = []
        vector.reserveCapacity(bytes.count / 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next(), let b1 = iterator.next(), let b2 = iterator.next(), let b3 = iterator.next() {
            let bits = UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
            vector.append(Float(bitPattern: bits))
        }
        return vector
    }

    public static func norm(of vector: [Float]) -> Double {
        var sum = 0.0
        for value in vector { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }

    /// Cosine similarity of a stored vector (as bytes, with its norm) and the query; nil when their dimensions
    /// differ (a vectorizer whose model changed under the datastore) or either is all zeros.
    static func cosine(stored bytes: some Collection<UInt8>, norm: Double, query: [Float], queryNorm: Double) -> Double? {
        guard bytes.count == query.count * 4, norm > 0, queryNorm > 0 else { return nil }
        var dot = 0.0
        var index = 0
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next(), let b1 = iterator.next(), let b2 = iterator.next(), let b3 = iterator.next() {
            let bits = UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
            dot += Double(Float(bitPattern: bits)) * Double(query[index])
            index += 1
        }
        return dot / (norm * queryNorm)
    }
}

/// The best `limit` chunks of a scan, kept while the rows stream by so a search holds `limit` texts, never the
/// datastore's. Ties keep the earlier chunk (lower id) first.
struct RAGRanking {
    let limit: Int
    let minimum: Double
    private(set) var best: [(id: Int64, similarity: Double)] = []

    init(limit: Int, minimum: Double) {
        self.limit = max(0, limit)
        self.minimum = minimum
    }

    /// Whether a chunk with this similarity would enter the ranking (so a caller reads its text only then).
    func admits(_ similarity: Double) -> Bool {
        similarity >= minimum && limit > 0 && (best.count < limit || similarity > (best.last?.similarity ?? -.infinity))
    }

    mutating func offer(id: Int64, similarity: Double) {
        guard admits(similarity) else { return }
        let position = best.firstIndex { similarity > $0.similarity } ?? best.count
        best.insert((id, similarity), at: position)
        if best.count > limit { best.removeLast() }
    }
}
