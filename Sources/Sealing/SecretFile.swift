import Foundation

/// A file that holds a secret (the master key, the mail relay's password): read only when nobody
/// but its owner can read it, so a copy made readable by mistake is refused rather than used.
public enum SecretFile {
    /// The file's contents.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - what: how the operator knows the file, e.g. "master key file".
    /// - Throws: `SecretFile.Problem` saying what is wrong with the file and how to fix it.
    public static func contents(of path: String, what: String) throws(Problem) -> Data {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw Problem("cannot read the \(what) \(path) (it does not exist or is not accessible)")
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw Problem(
                "the \(what) \(path) is readable by group or others (mode \(String(mode, radix: 8))); run: chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem("cannot read the \(what) \(path)")
        }
        return data
    }

    /// Why a secret file was refused, in the operator's words.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
