import Foundation
import HavenStore
import Synchronization

/// Each therapy session's chart (the key subject its notes are sealed for), at most `capacity`
/// sessions, as the database named it. Not a secret and not a decision: `haven_note_write_draft`
/// (migration 0049) compares it with the session's chart and writes nothing when they differ, so a
/// stale entry costs a round trip, never a note sealed for the wrong chart.
final class SessionChartCache: Sendable {
    let capacity: Int
    private let entries = Mutex<[UUID: KeySubject]>([:])

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    func get(_ session: UUID) -> KeySubject? {
        entries.withLock { $0[session] }
    }

    /// Records `subject` as `session`'s chart; when full, forgets every other session first (a
    /// session's chart is learned again in one extra round trip).
    func put(_ subject: KeySubject, session: UUID) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[session] == nil { entries.removeAll(keepingCapacity: true) }
            entries[session] = subject
        }
    }

    func remove(_ session: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: session) }
    }
}
