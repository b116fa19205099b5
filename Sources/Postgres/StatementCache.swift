/// Names of the statements prepared on one connection, keyed by SQL text and parameter types,
/// evicting the least recently used when full.
struct StatementCache {
    private struct Entry {
        var name: String
        var changesSession: Bool
        var lastUse: UInt64
    }

    /// A prepared statement: its server-side name and whether running it may leave session state.
    struct Statement {
        var name: String
        var changesSession: Bool
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    private var nextNumber = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isEnabled: Bool { capacity > 0 }

    /// The cache key of a statement.
    static func key(sql: String, types: [UInt32]) -> String {
        types.isEmpty ? sql : sql + "\u{0}" + types.map(String.init).joined(separator: ",")
    }

    /// The prepared statement for `key`, if prepared; marks it used.
    mutating func lookup(_ key: String) -> Statement? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        return Statement(name: entry.name, changesSession: entry.changesSession)
    }

    /// A fresh statement name, not yet recorded.
    mutating func makeName() -> String {
        nextNumber += 1
        return "haven_s\(nextNumber)"
    }

    /// Records a successfully prepared statement. Returns the name of the entry it evicted, which the
    /// caller should deallocate on the server.
    mutating func insert(_ key: String, _ statement: Statement) -> String? {
        var evicted: String?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            evicted = oldest.value.name
        }
        clock += 1
        entries[key] = Entry(name: statement.name, changesSession: statement.changesSession, lastUse: clock)
        return evicted
    }

    /// Forgets one statement (e.g. after "cached plan must not change result type").
    mutating func remove(_ key: String) {
        entries[key] = nil
    }

    /// Forgets everything (after `DISCARD ALL` or a reconnect).
    mutating func removeAll() {
        entries.removeAll()
    }
}
