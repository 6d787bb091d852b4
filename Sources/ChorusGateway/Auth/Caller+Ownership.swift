extension Caller {
    /// The owner recorded on what this caller makes (custom voices, stored media): its key id, nil for the master
    /// key and the CLI, which manage everything and so own nothing in particular.
    public var ownerKeyID: Int64? { isMaster ? nil : keyID }
}
