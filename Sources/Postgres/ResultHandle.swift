import CLibPQ

/// Owns one `PGresult` and clears it exactly once, when the last reference goes.
///
/// `@unchecked Sendable`: a PGresult is never modified after libpq hands it over, and libpq documents
/// that a result may be read from any thread; this class only reads it.
final class ResultHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(pointer)
    }

    var status: ExecStatusType { PQresultStatus(pointer) }

    /// A diagnostic field by its code letter (libpq's `PG_DIAG_*` macros do not import into Swift).
    func errorField(_ code: Character) -> String? {
        guard let ascii = code.asciiValue, let value = PQresultErrorField(pointer, Int32(ascii)) else { return nil }
        return String(cString: value)
    }

    /// The error this result carries, for `query` (SQL text only, never parameter values).
    func error(query: String?) -> PostgresError {
        let state = errorField("C")
        let message = errorField("M") ?? String(cString: PQresultErrorMessage(pointer))
        return PostgresError(
            state.map(PostgresError.code(forSQLState:)) ?? .server,
            sqlState: state,
            message: message,
            constraint: errorField("n"),
            table: errorField("t"),
            column: errorField("c"),
            query: query,
            detail: errorField("D"),
            hint: errorField("H"),
            context: errorField("W")
        )
    }
}
