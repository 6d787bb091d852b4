/// Map and reduce over a text too long for one call: each chunk is asked the prompt on its own (map), then the
/// partial results are combined, a group of them per call, round after round until one answer is left (reduce).
/// At most `concurrency` calls run at once; the first call that fails stops the rest and is the request's error.
struct LongContextProcessor: Sendable {
    struct Progress: Sendable {
        /// `map` or `reduce`.
        var stage: String
        /// Reduce rounds count from 1; the map stage is round 0.
        var round: Int
        var completed: Int
        var total: Int
    }

    struct Outcome: Sendable {
        var text: String
        var chunks: Int
        var mapCalls = 0
        var reduceCalls = 0
        var promptTokens = 0
        var completionTokens = 0
        var cost = 0.0
    }

    let call: LongContextCall
    let plan: LongContextPlan
    let concurrency: Int

    static let mapInstructions = """
        You are given one part of a longer document. Carry out the user's request for this part only, \
        keeping every detail the request needs: another step combines the results of all parts.
        """
    static let reduceInstructions = """
        You are given the results of one request carried out on each part of a longer document, in document order. \
        Combine them into one answer to the request, as if it had been carried out on the whole document.
        """

    func run(text: String, prompt: String, progress: @escaping @Sendable (Progress) async -> Void) async throws(GatewayError) -> Outcome {
        let chunks = TextChunker(maxBytes: plan.inputBytes).chunks(of: text)
        var outcome = Outcome(text: "", chunks: chunks.count)
        if chunks.count == 1 {
            // The text fits one call: the prompt is asked of it directly, with no part framing and no reduce.
            let answer = try await call.run(system: "", user: "\(prompt)\n\n\(text)", label: "1/1")
            add(answer, to: &outcome)
            outcome.mapCalls = 1
            outcome.text = answer.text
            await progress(Progress(stage: "map", round: 0, completed: 1, total: 1))
            return outcome
        }
        let total = chunks.count
        var partials = try await all(chunks.enumerated().map { index, chunk in
            (system: Self.mapInstructions, user: "\(prompt)\n\n--- Part \(index + 1) of \(total) ---\n\(chunk)", label: "map \(index + 1)/\(total)")
        }, stage: "map", round: 0, outcome: &outcome, progress: progress)
        outcome.mapCalls = total
        var round = 0
        while partials.count > 1 {
            round += 1
            let groups = plan.reduceGroups(partials)
            let requests = groups.enumerated().map { index, group in
                let results = group.enumerated().map { "--- Result \($0.offset + 1) ---\n\($0.element)" }.joined(separator: "\n\n")
                return (system: Self.reduceInstructions, user: "\(prompt)\n\n\(results)",
                        label: "reduce \(round).\(index + 1)/\(groups.count)")
            }
            partials = try await all(requests, stage: "reduce", round: round, outcome: &outcome, progress: progress)
            outcome.reduceCalls += requests.count
        }
        outcome.text = partials.first ?? ""
        return outcome
    }

    /// Runs the calls, at most `concurrency` at once, and returns their answers in the calls' order.
    private func all(_ requests: [(system: String, user: String, label: String)], stage: String, round: Int, outcome: inout Outcome,
                     progress: @escaping @Sendable (Progress) async -> Void) async throws(GatewayError) -> [String] {
        let call = self.call
        var answers = [LongContextCall.Answer?](repeating: nil, count: requests.count)
        do {
            try await withThrowingTaskGroup(of: (Int, LongContextCall.Answer).self) { group in
                var next = 0
                func start() {
                    let index = next
                    let request = requests[index]
                    group.addTask { (index, try await call.run(system: request.system, user: request.user, label: request.label)) }
                    next += 1
                }
                while next < min(concurrency, requests.count) { start() }
                var completed = 0
                while let (index, answer) = try await group.next() {
                    answers[index] = answer
                    completed += 1
                    await progress(Progress(stage: stage, round: round, completed: completed, total: requests.count))
                    if next < requests.count { start() }
                }
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .clientClosed("The request was cancelled.")
        }
        var texts: [String] = []
        for answer in answers {
            guard let answer else { throw .internalError("a long-context call returned no answer") }
            add(answer, to: &outcome)
            texts.append(answer.text)
        }
        return texts
    }

    private func add(_ answer: LongContextCall.Answer, to outcome: inout Outcome) {
        outcome.promptTokens += answer.promptTokens
        outcome.completionTokens += answer.completionTokens
        outcome.cost += answer.cost
    }
}
