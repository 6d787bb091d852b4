/// Who is making a request, as established by `Authenticator`.
public struct Caller: Sendable {
    /// nil for the master key.
    public var keyID: Int64?
    public var name: String
    public var isMaster: Bool
    public var rpm: Int?
    /// Model names, with the config's groups already expanded; nil = every model.
    public var models: Set<String>?
    public var maxConcurrency: Int?
    /// The key has a balance or a budget: its calls are admitted against points.
    public var isMetered = false

    public init(keyID: Int64?, name: String, isMaster: Bool, rpm: Int?, models: Set<String>?, maxConcurrency: Int? = nil,
                isMetered: Bool = false) {
        self.keyID = keyID
        self.name = name
        self.isMaster = isMaster
        self.rpm = rpm
        self.models = models
        self.maxConcurrency = maxConcurrency
        self.isMetered = isMetered
    }

    public static let master = Caller(keyID: nil, name: "master", isMaster: true, rpm: nil, models: nil)

    public func allows(model: String) -> Bool { isMaster || (models.map { $0.contains(model) } ?? true) }
}
