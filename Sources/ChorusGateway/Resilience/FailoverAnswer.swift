import ChorusUpstream

/// What the failover needs of a provider's answer: the provider's own error answer, when it gave one instead of a
/// result, so a 5xx or 429 can be retried elsewhere before the caller sees a byte.
protocol FailoverAnswer: Sendable {
    var upstreamRefusal: UpstreamResponse? { get }
}

extension UpstreamResponse: FailoverAnswer {
    var upstreamRefusal: UpstreamResponse? { status >= 400 ? self : nil }
}

extension SpeechResult: FailoverAnswer {
    var upstreamRefusal: UpstreamResponse? {
        if case .upstreamAnswer(let answer) = self { return answer.upstreamRefusal }
        return nil
    }
}

extension TranscriptionResult: FailoverAnswer {
    var upstreamRefusal: UpstreamResponse? {
        if case .upstreamAnswer(let answer) = answer { return answer.upstreamRefusal }
        return nil
    }
}

extension ImageAnswer: FailoverAnswer {
    var upstreamRefusal: UpstreamResponse? {
        if case .upstreamAnswer(let answer) = self { return answer.upstreamRefusal }
        return nil
    }
}
