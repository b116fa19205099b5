import Foundation
import Sealing
import Synchronization

/// Unwrapped data keys held in memory, at most `capacity` of them (least recently used go first).
/// Entries expire after `lifetime`. Their bytes are wiped when evicted and no longer referenced.
final class DataKeyCache: Sendable {
    private struct Entry {
        var key: DataKey
        var lastUse: UInt64
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var clock: UInt64 = 0
    }

    let capacity: Int
    let lifetime: Duration
    private let state = Mutex(State())

    init(capacity: Int, lifetime: Duration) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.lifetime = lifetime
    }

    func get(_ id: UUID) -> DataKey? {
        state.withLock { state in
            guard var entry = state.entries[id] else { return nil }
            guard ContinuousClock.now < entry.expires else {
                state.entries[id] = nil
                return nil
            }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[id] = entry
            return entry.key
        }
    }

    func put(_ key: DataKey, id: UUID) {
        state.withLock { state in
            state.clock += 1
            state.entries[id] = Entry(key: key, lastUse: state.clock, expires: ContinuousClock.now + lifetime)
            if state.entries.count > capacity,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                state.entries[oldest] = nil
            }
        }
    }

    func remove(_ ids: some Sequence<UUID>) {
        state.withLock { state in
            for id in ids { state.entries[id] = nil }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
