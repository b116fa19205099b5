import Foundation

/// The signed-in session of `haven login`, kept in the user's config directory with mode 0600 (the
/// directory 0700): `$HAVEN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/haven`, else `~/.config/haven`.
struct SessionFile: Codable {
    var token: String
    var email: String
    var staffID: UUID
    var practiceID: UUID
    var absoluteExpiry: Date
    /// The `haven serve` this session was opened on (absent in sessions stored by older versions).
    var server: String?

    /// The config directory.
    static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["HAVEN_CONFIG_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("haven")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/haven")
    }

    static var url: URL { directory.appendingPathComponent("session.json") }

    /// `url`, once `privateDirectory()` has checked its directory.
    private static func checkedURL() throws -> URL {
        try privateDirectory().appendingPathComponent(url.lastPathComponent)
    }

    /// The config directory, checked before anything in it is read or written: one that exists but
    /// belongs to another user is refused (they could read or replace the session); one of ours that
    /// others may enter is tightened to 0700, with a note on stderr. A missing one is left to be
    /// created (0700) by the first write.
    ///
    /// - Throws: `UserError` naming the directory and what to do.
    static func privateDirectory() throws -> URL {
        let directory = directory
        var status = stat()
        guard stat(directory.path, &status) == 0 else {
            guard errno == ENOENT else {
                throw UserError(message: "cannot use \(directory.path): \(String(cString: strerror(errno)))")
            }
            return directory
        }
        guard status.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) else {
            throw UserError(
                message: "\(directory.path) is not a directory; set HAVEN_CONFIG_DIR to a private directory"
            )
        }
        guard status.st_uid == geteuid() else {
            throw UserError(
                message:
                    "\(directory.path) belongs to another user; set HAVEN_CONFIG_DIR to a directory of your own (mode 0700)"
            )
        }
        let mode = status.st_mode & 0o777
        if mode & 0o077 != 0 {
            guard chmod(directory.path, 0o700) == 0 else {
                throw UserError(
                    message:
                        "\(directory.path) is open to other users (mode \(String(mode, radix: 8))) and cannot be tightened: \(String(cString: strerror(errno))); run 'chmod 700 \(directory.path)'"
                )
            }
            FileHandle.standardError.write(
                Data(
                    "haven: \(directory.path) was open to other users (mode \(String(mode, radix: 8))); it is now 0700\n"
                        .utf8
                )
            )
        }
        return directory
    }

    /// The stored session, or nil when nobody is signed in.
    ///
    /// - Throws: `UserError` for a session file that is a symbolic link, not a regular file, not the
    ///   user's own or open to others: someone else could have written it (pointing the CLI, and what
    ///   it sends, at their server), so it is not used.
    static func load() throws -> SessionFile? {
        let url = try checkedURL()
        let descriptor = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw UserError(
                message:
                    "\(url.path) cannot be used (\(String(cString: strerror(errno)))); remove it and sign in again with 'haven login'"
            )
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG),
            status.st_uid == geteuid(), status.st_mode & 0o077 == 0
        else {
            throw UserError(
                message:
                    "\(url.path) is not a private file of yours (owned by you, mode 0600); remove it and sign in again with 'haven login'"
            )
        }
        let data = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).readDataToEndOfFile()
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(SessionFile.self, from: data)
        } catch {
            throw UserError(message: "\(url.path) is damaged; sign in again with 'haven login'")
        }
    }

    /// Writes the session with mode 0600, replacing any other atomically.
    func save() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try PrivateFile.write(try encoder.encode(self), to: try Self.checkedURL())
    }

    /// Forgets the stored session.
    static func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// The stored session, or an error saying to sign in.
    static func required() throws -> SessionFile {
        guard let session = try load() else { throw UserError(message: "not signed in; run 'haven login' first") }
        return session
    }

    /// A client of the server this session was opened on, presenting its token.
    func client() throws -> APIClient {
        guard let server else {
            throw UserError(message: "this session was stored by an older haven; sign in again with 'haven login'")
        }
        return try APIClient(server: server, token: token, flag: "the stored server")
    }
}

/// Files only their owner can read: sessions, and note text kept after a failed write.
enum PrivateFile {
    /// Writes `data` to `url` with mode 0600 (its directory 0700), through a temporary file renamed
    /// into place, so no other user can ever read it.
    static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw UserError(message: "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        let descriptor = Glibc.open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw UserError(message: "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw UserError(message: "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
