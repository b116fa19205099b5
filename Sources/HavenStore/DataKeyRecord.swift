import Foundation
import Postgres

/// A data key's row in `data_keys`: who it belongs to and its wrapped bytes (never the key itself).
public struct DataKeyRecord: Sendable, Equatable {
    /// The lifecycle of a data key.
    public enum State: String, Sendable {
        /// Seals new values for its subject (one per subject).
        case active
        /// Replaced by a newer key; still opens the values it sealed.
        case retired
        /// Destroyed; its values can never be opened again.
        case shredded
    }

    public var id: UUID
    public var practiceID: UUID
    public var subject: KeySubject
    public var state: State
    public var masterKeyVersion: Int?
    public var wrappedKey: [UInt8]?
    public var createdAt: Date

    public init(
        id: UUID,
        practiceID: UUID,
        subject: KeySubject,
        state: State,
        masterKeyVersion: Int?,
        wrappedKey: [UInt8]?,
        createdAt: Date
    ) {
        self.id = id
        self.practiceID = practiceID
        self.subject = subject
        self.state = state
        self.masterKeyVersion = masterKeyVersion
        self.wrappedKey = wrappedKey
        self.createdAt = createdAt
    }
}

/// Whose data a key protects: a couple chart, a client chart, one author's psychotherapy notes on
/// a chart, or (in tests) anything.
public struct KeySubject: Hashable, Sendable, CustomStringConvertible {
    /// The kind of subject.
    public enum Kind: String, Sendable, CaseIterable {
        case couple
        case client
        case psychotherapy
        case test
        /// A staff member's own secrets (their TOTP secret).
        case staff
        /// A partner's portal account's own secrets (their TOTP secret; id: the account's id).
        case partner
    }

    public var kind: Kind
    /// The subject's id as text: a UUID, or `chart:author` for psychotherapy notes.
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    /// Parses `kind:id` (as typed on the command line).
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), let kind = Kind(rawValue: String(text[..<colon])) else {
            return nil
        }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        self.init(kind: kind, id: id)
    }

    /// `kind:id`, the form bound into every sealed value's context.
    public var description: String { "\(kind.rawValue):\(id)" }
}

/// One registered sealed column (a row of `sealed_columns`).
public struct SealedColumn: Sendable, Hashable {
    public var table: String
    public var column: String
    public var keyIDColumn: String
    public var rowIDColumn: String
    /// The subject kind of every row, or `nil` when the subject column holds the full `kind:id`.
    public var subjectKind: KeySubject.Kind?
    public var subjectColumn: String

    public init(
        table: String,
        column: String,
        keyIDColumn: String,
        rowIDColumn: String = "id",
        subjectKind: KeySubject.Kind?,
        subjectColumn: String
    ) {
        self.table = table
        self.column = column
        self.keyIDColumn = keyIDColumn
        self.rowIDColumn = rowIDColumn
        self.subjectKind = subjectKind
        self.subjectColumn = subjectColumn
    }
}
