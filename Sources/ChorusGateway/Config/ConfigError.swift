/// A config problem, naming the file, the key path and what is wrong, e.g.
/// `chorus.yaml: providers.openai.timeout: expected a number, got "soon" (line 7)`.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let keyPath: String
    public let problem: String
    public let line: Int?

    public var description: String {
        var text = "\(file): "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += problem
        if let line { text += " (line \(line))" }
        return text
    }
}
