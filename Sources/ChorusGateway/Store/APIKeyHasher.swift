import Crypto

/// Key generation and hashing. Keys are `sk-chorus-` + 40 base62 characters (≈238 bits) from the system CSPRNG.
public enum APIKeyHasher {
    public static let prefix = "sk-chorus-"

    public static func generateKey() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<40).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    public static func hash(_ key: String) -> String {
        Hex.encode(SHA256.hash(data: Array(key.utf8)))
    }
}
