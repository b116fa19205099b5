import ArgumentParser
import Foundation
import Sealing

extension KeysCommand {
    /// `haven keys init`.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a new master key file (mode 0600).",
            discussion: """
                Writes one random 32-byte master key (version 1). Refuses to overwrite a file. Keep \
                the file out of database backups: whoever has both can read every sealed value.

                Example:
                  haven keys init --key-file /etc/haven/master.key
                """
        )

        @OptionGroup var keys: MasterKeyOptions

        func run() async throws {
            guard let path = keys.path else {
                throw UserError(message: "say where to write the key: --key-file PATH (or set HAVEN_MASTER_KEY_FILE)")
            }
            guard !FileManager.default.fileExists(atPath: path) else {
                throw UserError(
                    message:
                        "\(path) already exists; a master key is never overwritten (use 'haven keys rotate-master')"
                )
            }
            try KeyFile.write(try MasterKeyring.generate(), to: path, replacing: false)
            print("Created master key file \(path) (version 1, mode 0600).")
        }
    }
}

/// Writing master key files safely: mode 0600 from the first byte, atomically replaced.
enum KeyFile {
    static func write(_ ring: MasterKeyring, to path: String, replacing: Bool) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw UserError(message: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var text = Array(ring.fileText().utf8)
        defer { wipe(&text) }
        let written = text.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == text.count, synced else {
            unlink(temporary)
            throw UserError(message: "cannot write \(temporary)")
        }
        if !replacing, FileManager.default.fileExists(atPath: path) {
            unlink(temporary)
            throw UserError(message: "\(path) already exists")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw UserError(message: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}
