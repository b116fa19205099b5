/// Where a sealed value lives: its table, column, row and the subject whose key protects it.
///
/// The context is rebuilt from the row at read time and bound into the ciphertext as associated
/// data, never stored with it. A value copied into another row, column, table or subject therefore
/// fails to open.
public struct SealContext: Hashable, Sendable {
    public var table: String
    public var column: String
    /// The row's primary key, as text (e.g. a UUID's lowercase form).
    public var rowID: String
    /// The subject that owns the data key (e.g. `couple:<uuid>`).
    public var subject: String

    public init(table: String, column: String, rowID: String, subject: String) {
        self.table = table
        self.column = column
        self.rowID = rowID
        self.subject = subject
    }

    /// The context's part of the AAD: each field as a 4-byte big-endian length and its UTF-8 bytes,
    /// in the order table, column, row id, subject (see docs/encryption.md).
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        for field in [table, column, rowID, subject] {
            appendLengthPrefixed(Array(field.utf8), to: &out)
        }
        return out
    }
}

/// Appends `bytes` preceded by its length as a 4-byte big-endian integer: the field encoding of
/// every authenticated structure in docs/encryption.md and docs/security.md.
public func appendLengthPrefixed(_ bytes: [UInt8], to out: inout [UInt8]) {
    let length = UInt32(bytes.count)
    out.append(contentsOf: [
        UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
    ])
    out.append(contentsOf: bytes)
}
