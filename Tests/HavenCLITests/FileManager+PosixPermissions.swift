import Foundation

extension FileManager {
    /// The permission bits of the file or directory at `path` (`0o600`), or -1 if there are none.
    func posixPermissions(ofItemAtPath path: String) throws -> Int {
        (try attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
