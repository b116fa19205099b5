import Foundation
import HavenStore
import Sealing

/// Where a sealed value lives: the subject whose data key seals it, and the table, column and row its
/// seal is bound to (the value's additional data, docs/encryption.md). `KeyManager.seal` and
/// `KeyManager.open` take the same place, so a value opens only where it was sealed.
public struct SealedPlace: Sendable, Hashable {
    public var subject: KeySubject
    public var table: String
    public var column: String
    public var rowID: UUID

    public init(subject: KeySubject, table: String, column: String, rowID: UUID) {
        self.subject = subject
        self.table = table
        self.column = column
        self.rowID = rowID
    }

    /// The same row's `column`.
    public func column(_ column: String) -> SealedPlace {
        SealedPlace(subject: subject, table: table, column: column, rowID: rowID)
    }

    /// The additional data a value here is bound to (the row id in lowercase, as stored).
    var context: SealContext {
        SealContext(table: table, column: column, rowID: rowID.uuidString.lowercased(), subject: subject.description)
    }
}
