extension ModelPrice {
    /// The cost of what a usage row counts: tokens the provider reported, characters spoken, seconds of audio
    /// decoded, images made.
    public func cost(of record: UsageRecord) -> Double {
        var cost = perRequest
        cost += Double(record.promptTokens ?? 0) / 1000 * per1kInputTokens
        cost += Double(record.completionTokens ?? 0) / 1000 * per1kOutputTokens
        cost += Double(record.characters ?? 0) / 1000 * per1kCharacters
        cost += (record.audioSeconds ?? 0) / 60 * perAudioMinute
        cost += Double(record.images ?? 0) * perImage
        // Points are kept to a millionth: sums over many rows then add up exactly in reports.
        return (cost * 1_000_000).rounded() / 1_000_000
    }
}
