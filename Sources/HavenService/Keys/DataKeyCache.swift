import Foundation
import HavenStore
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

/// Each subject's active data key id, for a limited time.
final class ActiveKeyCache: Sendable {
    private struct Entry {
        var id: UUID
        var expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    private func key(_ practiceID: UUID, _ subject: KeySubject) -> String {
        "\(practiceID.uuidString):\(subject)"
    }

    func get(practiceID: UUID, subject: KeySubject) -> UUID? {
        entries.withLock { entries in
            let name = key(practiceID, subject)
            guard let entry = entries[name] else { return nil }
            guard ContinuousClock.now < entry.expires else {
                entries[name] = nil
                return nil
            }
            return entry.id
        }
    }

    func put(_ id: UUID, practiceID: UUID, subject: KeySubject) {
        entries.withLock { $0[key(practiceID, subject)] = Entry(id: id, expires: ContinuousClock.now + lifetime) }
    }

    /// Forgets every entry.
    func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// Forgets a subject's entry (after this process retires or shreds its key).
    func remove(subject: KeySubject) {
        let suffix = ":\(subject)"
        entries.withLock { entries in
            for name in entries.keys where name.hasSuffix(suffix) { entries[name] = nil }
        }
    }
}
