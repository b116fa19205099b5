import ArgumentParser
import Foundation
import HavenService
import Postgres
import Sealing

/// An operator command's connection: the owner role, without row-level limits on practices.
struct Operator {
    let pool: ConnectionPool

    static func with<Value>(
        _ database: OwnerDatabaseOptions,
        _ body: (Operator) async throws -> Value
    ) async throws
        -> Value
    {
        let pool = ConnectionPool(
            configuration: try database.configuration(),
            limits: .init(maxConnections: 2),
            logger: CommandLogging.logger()
        )
        do {
            let value = try await body(Operator(pool: pool))
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }

    /// The practice named by `text` (id or prefix), or the only one when `text` is nil.
    func practice(_ text: String?) async throws -> UUID {
        if let text { return try await ReferenceResolver(pool: pool).resolve(text, as: .practice, practiceID: nil) }
        let practices = try await StaffService(pool: pool).practices()
        guard practices.count == 1 else {
            throw UserError(
                message: practices.isEmpty
                    ? "no practice yet; create one with 'haven practice create --name ...'"
                    : "several practices exist; name one with --practice (see 'haven practice list')"
            )
        }
        return practices[0].id
    }

    /// A client of `practice` named by id or prefix.
    func client(_ text: String, practice: UUID) async throws -> UUID {
        try await ReferenceResolver(pool: pool).resolve(text, as: .client, practiceID: practice)
    }

    /// A staff member of `practice` named by id or prefix.
    func staff(_ text: String, practice: UUID) async throws -> UUID {
        try await ReferenceResolver(pool: pool).resolve(text, as: .staff, practiceID: practice)
    }
}

/// A password given in a file or on stdin: its first line, without the line's end ("\n" or "\r\n",
/// which is one `Character` to Swift, so a split at "\n" or a `hasSuffix("\n")` would keep it).
func passwordLine(_ data: Data) -> String {
    String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        .first.map(String.init) ?? ""
}

/// The password in the file `--password-file` names: its first line.
func readPasswordFile(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UserError(message: "--password-file: cannot read \(path)")
    }
    return passwordLine(data)
}

/// Reads a new password: from stdin with `--password-stdin` (its first line), else prompted twice
/// without echo.
func readNewPassword(fromStdin: Bool) throws -> String {
    if fromStdin {
        return passwordLine(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard isatty(STDIN_FILENO) != 0, let first = getpass("New password: ").map({ String(cString: $0) }),
        let second = getpass("Again: ").map({ String(cString: $0) })
    else { throw UserError(message: "no terminal to ask for the password; use --password-stdin") }
    guard first == second else { throw UserError(message: "the passwords differ; nothing was changed") }
    return first
}
