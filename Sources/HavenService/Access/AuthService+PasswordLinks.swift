import Foundation
import HavenStore
import Postgres
import Sealing

extension AuthService {
    /// The email of the account an open set-password link sets the password of (the welcome page's
    /// "set a password for <email>"), or nil for an unknown, spent, superseded or expired link or a
    /// disabled account: one answer for all. Writes nothing, so a mail scanner fetching the link
    /// spends nothing.
    public func passwordLinkAccount(_ token: SessionToken) async throws -> String? {
        try await pool.query("SELECT email FROM haven_password_link_account(\(token.storageHash))").singleRow().map {
            try $0.decode(0, as: String.self)
        }
    }

    /// Spends an open set-password link: checks the password rule (`StaffService.checkPassword`),
    /// stores its scrypt hash as `createStaff` does, and ends the account's sessions; audited
    /// `staff.password.set` as the account itself. A link works once: of two concurrent spends, one
    /// sets the password and the other is refused.
    ///
    /// - Throws: `invalidInput` naming `password`; `notFound` naming `link` for a link that does not work
    ///   (unknown, spent, superseded, expired, or the account disabled: one answer).
    public func setPassword(
        with token: SessionToken,
        to password: String,
        source: String,
        requestID: String? = nil
    ) async throws {
        try Self.checkOrigin(source: source, requestID: requestID)
        try StaffService.checkPassword(password)
        let hash = try await hasher.hash(password)
        let answer = try await pool.query(
            "SELECT haven_spend_password_link(\(token.storageHash), \(hash), \(source), \(requestID))"
        )[0].decode(0, as: String.self)
        guard answer == "done" else {
            throw ServiceError(
                .notFound,
                field: "link",
                "this link does not work: it was used, replaced by a newer one, or is older than 72 hours; ask an admin for a new one"
            )
        }
    }
}
