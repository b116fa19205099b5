import Foundation

/// The staff member a use case acts for: who they are, in which practice, with which roles, and
/// where the request came from (for the audit log).
public struct StaffActor: Sendable, Equatable {
    /// The roles a staff member can hold; they combine.
    public enum Role: String, Sendable, CaseIterable {
        case admin
        case counselor
        case supervisor
    }

    public var staffID: UUID
    public var practiceID: UUID
    public var roles: Set<Role>
    /// Break-glass access in force (written reason, time-limited, flagged in the audit log).
    public var breakGlass: Bool
    /// `cli:user@host` or the HTTP client's address.
    public var source: String
    public var requestID: String?

    public init(
        staffID: UUID,
        practiceID: UUID,
        roles: Set<Role>,
        breakGlass: Bool = false,
        source: String,
        requestID: String? = nil
    ) {
        self.staffID = staffID
        self.practiceID = practiceID
        self.roles = roles
        self.breakGlass = breakGlass
        self.source = source
        self.requestID = requestID
    }

    /// Role names, sorted, as the audit log records them.
    public var roleNames: [String] { roles.map(\.rawValue).sorted() }
}
