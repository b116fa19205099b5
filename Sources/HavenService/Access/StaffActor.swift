import Foundation

/// The staff member a use case acts for: who they are, in which practice, with which roles, the
/// session they act through, and where the request came from (for the audit log).
///
/// The database trusts none of the ids here: every transaction opens its row-level security context
/// from `sessionHash` (`haven_open_context`), so an actor is only as good as its live session.
public struct StaffActor: Sendable, Equatable {
    /// The roles a staff member can hold; they combine.
    public enum Role: String, Sendable, CaseIterable {
        case admin
        case counselor
        /// The front desk: sees and books the practice's calendar (every counselor's sessions, with
        /// names) and nothing clinical. Its reach in the database is the calendar, never a caseload.
        case scheduler
        case supervisor
    }

    public var staffID: UUID
    public var practiceID: UUID
    /// SHA-256 of the session token (`SessionToken.storageHash`): what the database derives the
    /// transaction's practice, staff member, caseload and break-glass reach from.
    public var sessionHash: [UInt8]
    public var roles: Set<Role>
    /// Break-glass access in force (written reason, time-limited, flagged in the audit log).
    public var breakGlass: Bool
    /// `cli:user@host` or the HTTP client's address.
    public var source: String
    public var requestID: String?
    /// The practice requires a second factor this staff member has not enrolled: until they do, the
    /// session may only enrol one (`TOTPService`) or sign out; every other use case is refused.
    public var totpEnrollmentDue: Bool

    public init(
        staffID: UUID,
        practiceID: UUID,
        sessionHash: [UInt8],
        roles: Set<Role>,
        breakGlass: Bool = false,
        source: String,
        requestID: String? = nil,
        totpEnrollmentDue: Bool = false
    ) {
        self.staffID = staffID
        self.practiceID = practiceID
        self.sessionHash = sessionHash
        self.roles = roles
        self.breakGlass = breakGlass
        self.source = source
        self.requestID = requestID
        self.totpEnrollmentDue = totpEnrollmentDue
    }

    /// Checks what the audit log will record about the request.
    ///
    /// - Throws: `ServiceError.invalidInput` naming `source` (1–200 characters) or `requestID` (≤ 100).
    public func validate() throws {
        guard (1...200).contains(source.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "source", "must be 1 to 200 characters")
        }
        if let requestID, requestID.unicodeScalars.count > 100 {
            throw ServiceError(.invalidInput, field: "requestID", "must be at most 100 characters")
        }
    }

    /// Holds the scheduler role and no other: every use case but the calendar's is refused
    /// (`ConnectionPool.transaction(as:reach:...)`).
    public var isSchedulerOnly: Bool { roles == [.scheduler] }

    /// Role names, sorted, as the audit log records them.
    public var roleNames: [String] { roles.map(\.rawValue).sorted() }
}
