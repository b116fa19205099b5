import Foundation
import Sealing
import Synchronization

/// Unwrapped data keys held in memory, at most `capacity` of them (least recently used go first).
/// Their bytes are wiped when evicted and no longer referenced.
final class DataKeyCache: Sendable {
    private struct Entry {
        var key: DataKey
        var lastUse: UInt64
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var clock: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    func get(_ id: UUID) -> DataKey? {
        state.withLock { state in
            guard var entry = state.entries[id] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[id] = entry
            return entry.key
        }
    }

    func put(_ key: DataKey, id: UUID) {
        state.withLock { state in
            state.clock += 1
            state.entries[id] = Entry(key: key, lastUse: state.clock)
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
