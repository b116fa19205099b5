import Foundation
import Sealing

/// The signed-in session of `haven login`, kept in the user's config directory with mode 0600 (the
/// directory 0700): `$HAVEN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/haven`, else `~/.config/haven`.
struct SessionFile: Codable {
    var token: String
    var email: String
    var staffID: UUID
    var practiceID: UUID
    var absoluteExpiry: Date

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

    /// The stored session, or nil when nobody is signed in.
    static func load() throws -> SessionFile? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
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
        try PrivateFile.write(try encoder.encode(self), to: Self.url)
    }

    /// Forgets the stored session.
    static func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    var sessionToken: SessionToken { SessionToken(value: token) }
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
