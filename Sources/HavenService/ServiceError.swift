import HavenCore

/// A use case refused or failed; `description` is safe to show a user (no clinical data, no SQL)
/// and says what to do.
public struct ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable {
        /// The input is invalid; `field` names the field.
        case invalidInput
        /// Wrong email or password, or an expired or revoked session.
        case unauthenticated
        /// The actor may not do this (denials are audited).
        case forbidden
        /// No such record (or not in the actor's reach: no existence oracle).
        case notFound
        /// A conflicting record exists or a stale version was given.
        case conflict
        /// Stored data failed an integrity check (a signed note changed after signing): refused and
        /// audited; a system problem for an operator, never the user's input.
        case integrity
    }

    public var kind: Kind
    /// The input field at fault, for `invalidInput`.
    public var field: String?
    /// A stable, machine-readable refinement of `kind` that a client acts on (e.g. `totp-required`:
    /// ask for the one-time code and retry); the HTTP API's problem type when present.
    public var reason: String?
    public var message: String
    /// For a stale version (`reason` `stale-version`): the record's current version, so a client can
    /// reload exactly that one.
    public var currentVersion: Int?

    public init(_ kind: Kind, field: String? = nil, reason: String? = nil, _ message: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}

extension ServiceError {
    /// A broken domain rule, as the invalid input it is (the field and message carry over).
    public init(_ error: DomainError) {
        self.init(.invalidInput, field: error.field, error.message)
    }
}

// Services say what happened; each interface maps a refusal to its own next step (the HTTP API's
// `APIProblem.advice(for:)` names routes, the CLI's `ErrorReport.advice` names commands).

extension ServiceError {
    /// The practice requires a second factor the actor has not enrolled yet.
    public static let totpEnrollmentDue = ServiceError(
        .forbidden,
        reason: "totp-enrollment-required",
        "your practice requires a one-time-code app, and none is enrolled for you yet"
    )

    /// A scheduler-only actor asked for anything but the calendar (listing sessions by time, booking,
    /// cancelling).
    public static let calendarOnly = ServiceError(
        .forbidden,
        reason: "calendar-only",
        "the scheduler role reaches the calendar only; this needs a counselor, supervisor or admin"
    )
}

extension ServiceError {
    /// A write based on a version that is no longer current (optimistic concurrency): nothing was
    /// changed; `next` says what to do ("review it and sign again").
    public static func staleVersion(current: Int, _ next: String) -> ServiceError {
        var error = ServiceError(
            .conflict,
            field: "version",
            reason: "stale-version",
            "the note changed (now version \(current)); \(next)"
        )
        error.currentVersion = current
        return error
    }
}

extension ServiceError {
    /// The session the actor acts through has expired, was ended, or belongs to a disabled account.
    public static let sessionExpired = ServiceError(.unauthenticated, "the session has expired or was ended")
}
