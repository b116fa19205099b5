import Foundation

/// The master keys (KEKs): 32-byte keys that wrap every data key, versioned so a rotation can
/// load the old and the new one side by side. They never enter PostgreSQL or its backups.
///
/// Loaded from `HAVEN_MASTER_KEY_FILE` (a file only its owner can read) or `HAVEN_MASTER_KEY`.
/// The text holds one key per line, `VERSION:BASE64` (a single bare `BASE64` line is version 1);
/// blank lines and lines starting with `#` are ignored. `HAVEN_MASTER_KEY` may also separate
/// entries with commas.
public struct MasterKeyring: Sendable, CustomStringConvertible {
    /// The keys by version.
    public let keys: [Int: SecureBytes]

    /// The newest version: the one new data keys are wrapped with.
    public var currentVersion: Int { keys.keys.max() ?? 0 }

    /// A keyring from keys already in memory.
    public init(keys: [Int: SecureBytes]) throws {
        guard !keys.isEmpty else { throw SealingError(.masterKey, detail: "no master key loaded") }
        for (version, key) in keys where key.count != AESGCM.keyCount || version < 1 {
            throw SealingError(.masterKey, detail: "master key version \(version) is not a 32-byte key")
        }
        self.keys = keys
    }

    /// Loads the keyring the environment names.
    ///
    /// - Throws: `SealingError(.masterKey)` saying what is wrong and how to fix it.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MasterKeyring
    {
        if let path = environment["HAVEN_MASTER_KEY_FILE"], !path.isEmpty {
            return try load(file: path)
        }
        if let inline = environment["HAVEN_MASTER_KEY"], !inline.isEmpty {
            return try parse(inline.replacingOccurrences(of: ",", with: "\n"), source: "HAVEN_MASTER_KEY")
        }
        throw SealingError(
            .masterKey,
            detail:
                "no master key: set HAVEN_MASTER_KEY_FILE to a key file (create one with `haven keys init`) or HAVEN_MASTER_KEY to a base64 key; scripts/start prints them"
        )
    }

    /// Loads a key file, refusing one that group or others can read.
    public static func load(file path: String) throws -> MasterKeyring {
        let data: Data
        do {
            data = try SecretFile.contents(of: path, what: "master key file")
        } catch {
            throw SealingError(.masterKey, detail: error.description)
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Parses key-file text.
    public static func parse(_ text: String, source: String = "master key") throws -> MasterKeyring {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        var keys: [Int: SecureBytes] = [:]
        for (index, line) in lines.enumerated() {
            var version = 1
            var encoded = Substring(line)
            if let colon = line.firstIndex(of: ":") {
                guard let number = Int(line[..<colon]), number >= 1 else {
                    throw SealingError(
                        .masterKey,
                        detail: "\(source), entry \(index + 1): the version must be a positive number"
                    )
                }
                version = number
                encoded = line[line.index(after: colon)...]
            } else if lines.count > 1 {
                throw SealingError(
                    .masterKey,
                    detail: "\(source), entry \(index + 1): write VERSION:BASE64 when there are several keys"
                )
            }
            guard var bytes = Data(base64Encoded: String(encoded)).map(Array.init), bytes.count == AESGCM.keyCount
            else {
                throw SealingError(
                    .masterKey,
                    detail: "\(source), entry \(index + 1): not a base64 encoding of 32 bytes"
                )
            }
            guard keys[version] == nil else {
                throw SealingError(.masterKey, detail: "\(source): version \(version) appears twice")
            }
            keys[version] = SecureBytes(copying: bytes)
            wipe(&bytes)
        }
        return try MasterKeyring(keys: keys)
    }

    /// Key-file text holding every key (for `keys init` and `keys rotate-master`). Secret: write it
    /// only to a mode-0600 file.
    public func fileText() -> String {
        var text = "# Haven master keys (VERSION:BASE64). Keep this file out of database backups.\n"
        for version in keys.keys.sorted() {
            let encoded = keys[version]!.withUnsafeBytes { Data($0).base64EncodedString() }
            text += "\(version):\(encoded)\n"
        }
        return text
    }

    /// A copy with a new random key as the next version.
    public func addingNewVersion() throws -> MasterKeyring {
        var keys = self.keys
        keys[currentVersion + 1] = try SecureBytes(randomCount: AESGCM.keyCount)
        return try MasterKeyring(keys: keys)
    }

    /// A keyring holding one new random key, version 1.
    public static func generate() throws -> MasterKeyring {
        try MasterKeyring(keys: [1: SecureBytes(randomCount: AESGCM.keyCount)])
    }

    // MARK: - Wrapping data keys

    /// What a wrapped data key is bound to (it cannot be moved to another id, subject or KEK version).
    public struct WrapContext: Sendable, Hashable {
        public var keyID: [UInt8]
        public var subjectKind: String
        public var subjectID: String

        public init(keyID: [UInt8], subjectKind: String, subjectID: String) {
            self.keyID = keyID
            self.subjectKind = subjectKind
            self.subjectID = subjectID
        }

        func aad(kekVersion: Int) -> [UInt8] {
            var out = Array("haven-dek-v1".utf8)
            appendLengthPrefixed(keyID, to: &out)
            appendLengthPrefixed(Array(subjectKind.utf8), to: &out)
            appendLengthPrefixed(Array(subjectID.utf8), to: &out)
            appendLengthPrefixed(Array(String(kekVersion).utf8), to: &out)
            return out
        }
    }

    /// Wraps a data key with the current master key: `nonce (12) || ciphertext (32) || tag (16)`.
    public func wrap(_ dataKey: SecureBytes, context: WrapContext) throws -> (kekVersion: Int, wrapped: [UInt8]) {
        try wrap(dataKey, context: context, version: currentVersion)
    }

    /// Wraps a data key with a given master key version.
    public func wrap(
        _ dataKey: SecureBytes,
        context: WrapContext,
        version: Int
    ) throws -> (kekVersion: Int, wrapped: [UInt8]) {
        guard let kek = keys[version] else {
            throw SealingError(.masterKey, detail: "master key version \(version) is not loaded")
        }
        let nonce = try SecureRandom.bytes(AESGCM.nonceCount)
        var plaintext = dataKey.withUnsafeBytes { Array($0) }
        defer { wipe(&plaintext) }
        let sealed = try AESGCM.seal(plaintext, key: kek, nonce: nonce, aad: context.aad(kekVersion: version))
        return (version, nonce + sealed)
    }

    /// Unwraps a data key.
    ///
    /// - Throws: `masterKey` when that version is not loaded; `authenticationFailed` when the master
    ///   key is wrong or the wrapped key was altered or moved.
    public func unwrap(_ wrapped: [UInt8], kekVersion: Int, context: WrapContext) throws -> SecureBytes {
        guard let kek = keys[kekVersion] else {
            throw SealingError(
                .masterKey,
                detail: "master key version \(kekVersion) is needed but not loaded; add it to the key file"
            )
        }
        guard wrapped.count == AESGCM.nonceCount + AESGCM.keyCount + AESGCM.tagCount else {
            throw SealingError(.invalidKey, detail: "a wrapped data key is 60 bytes")
        }
        var plain = try AESGCM.open(
            wrapped[AESGCM.nonceCount...],
            key: kek,
            nonce: Array(wrapped[..<AESGCM.nonceCount]),
            aad: context.aad(kekVersion: kekVersion)
        )
        defer { wipe(&plain) }
        return SecureBytes(copying: plain)
    }

    public var description: String { "MasterKeyring(versions: \(keys.keys.sorted()), keys: <redacted>)" }
}
