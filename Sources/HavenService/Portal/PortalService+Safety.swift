import Foundation
import Postgres

extension PortalService {
    /// What the safety page says when the practice has not written its own (`practices.safety_page`,
    /// migration 0048): where to turn in an emergency, and a line telling the practice to replace it.
    public static let defaultSafetyPage = """
        If you are in danger now, call your local emergency number (911 in the United States and Canada, \
        112 in Europe, 999 in the United Kingdom) or go to the nearest emergency department.

        If you are thinking about harming yourself, call or text a crisis line (988 in the United States).

        You can call your counselor's practice during office hours and say you need to speak with your \
        counselor about your safety.

        (This is Haven's default text. The practice replaces it with its own numbers and resources on its \
        administration page.)
        """

    /// The practice's safety page as plain text (its own, or `defaultSafetyPage` when it has none), for
    /// the partner's practice. Not clinical and not audited.
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func safetyPage(_ actor: PartnerActor) async throws -> String {
        try await pool.transaction(asPartner: actor) { connection, context in
            let row = try await connection.query(
                "SELECT safety_page FROM practices WHERE id = \(context.practiceID)"
            ).singleRow()
            return try row.flatMap { try $0.decode(0, as: String?.self) } ?? Self.defaultSafetyPage
        }
    }
}
