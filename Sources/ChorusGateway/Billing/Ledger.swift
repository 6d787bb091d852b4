import Foundation

/// Admits a call against its key's points before any work is done for it.
///
/// A key with a balance or a budget (`Caller.isMetered`) has the call's estimate — the model's `per_request` plus
/// its `reserve` — held in the store, atomically with every other call of that key (so 50 parallel calls against
/// a balance for exactly 10 get exactly 10 in). The row's `reserved` carries the hold; when the row is written its
/// key gets the hold back and pays the row's actual `cost` (`RequestTrace` prices the row, `appendUsage`
/// settles it). Keys without points are not touched here: their rows still record what they cost.
struct Ledger: Sendable {
    let store: any GatewayStorage

    func admit(_ model: ResolvedModel, caller: Caller, trace: RequestTrace) async throws(GatewayError) {
        guard caller.isMetered, let keyID = caller.keyID else { return }
        let amount = model.config.price?.estimate ?? 0
        let admission: Admission
        do {
            admission = try await store.reserve(keyID: keyID, amount: amount, now: Date().timeIntervalSince1970)
        } catch {
            // The client may retry later; the usage rows are what settle the balance, not this answer.
            throw .storeUnavailable("balance admission: \(error)")
        }
        switch admission {
        case .admitted:
            // Added up: a request that makes several calls (a RAG document's embedding batches) holds for each.
            trace.update { $0.reserved += amount }
        case .insufficientBalance(let retryAfter):
            throw .insufficientBalance(retryAfter: retryAfter)
        case .overBudget(let retryAfter):
            throw .budgetSpent(retryAfter: retryAfter)
        }
    }
}
