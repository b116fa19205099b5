import Foundation

/// Lets at most `limit` tasks at a time through a section of work (e.g. memory-hard hashing),
/// queueing the rest in arrival order.
public actor ConcurrencyGate {
    /// How many may be inside at once.
    public let limit: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// The most that were ever inside at once (for tests and metrics).
    public private(set) var peak = 0

    public init(limit: Int) {
        precondition(limit > 0, "a gate must let someone through")
        self.limit = limit
    }

    /// Runs `work` once there is room inside. `work` need not be `Sendable`: it is never handed to the
    /// gate's actor, only the place is.
    public nonisolated func run<Value>(_ work: () async throws -> Value) async rethrows -> Value {
        await enter()
        do {
            let value = try await work()
            await leave()
            return value
        } catch {
            await leave()
            throw error
        }
    }

    private func enter() async {
        if inside < limit {
            inside += 1
            peak = max(peak, inside)
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty {
            inside -= 1
        } else {
            // Hand the place straight to the next in line; `inside` stays the same.
            waiting.removeFirst().resume()
        }
    }
}

/// Runs blocking, CPU-heavy work on a thread of its own, so it never occupies one of Swift's
/// cooperative threads, and resumes the caller with its result.
public func runOnDedicatedThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value
{
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
