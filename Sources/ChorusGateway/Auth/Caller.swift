/// Who is making a request, as established by `Authenticator`.
public struct Caller: Sendable {
    /// nil for the master key.
    public var keyID: Int64?
    public var name: String
    public var isMaster: Bool
    public var rpm: Int?
    public var models: [String]?

    public static let master = Caller(keyID: nil, name: "master", isMaster: true, rpm: nil, models: nil)

    public func allows(model: String) -> Bool { isMaster || (models.map { $0.contains(model) } ?? true) }
}
