/// Why migrations could not run. The messages say what to do.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(Int, String, String)
    case checksumMismatch(version: Int, name: String)
    case unknownApplied(version: Int, name: String)
    /// A migration's SQL failed; it was rolled back, earlier ones stay applied. `reason` is the
    /// migration's own message when it stopped on purpose (`Migrator.reason(for:)`: a DO block's `RAISE`
    /// of "migration NNNN: …"), else the SQLSTATE and constraint only (the server's text may quote row
    /// values).
    case failed(version: Int, name: String, reason: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            return "migration file \(name) is not named NNNN_description.sql"
        case .duplicateVersion(let version, let first, let second):
            return "migrations \(first) and \(second) share the number \(version); renumber one"
        case .checksumMismatch(let version, let name):
            return
                "migration \(version) (\(name)) changed after it was applied; restore the original file and add a new migration for the change"
        case .unknownApplied(let version, let name):
            return
                "the database has migration \(version) (\(name)), which this haven build does not know; use a newer build"
        case .failed(_, let name, let reason):
            return "migration \(name) failed and was rolled back (the ones before it stay applied): \(reason)"
        }
    }
}
