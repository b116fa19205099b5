import COpenSSL

/// AES-256-GCM with a 96-bit nonce and a 128-bit tag, through OpenSSL's EVP interface.
///
/// The primitive under `Sealer` and key wrapping. It takes only 12-byte nonces and 32-byte keys;
/// other sizes are refused before OpenSSL sees them.
public enum AESGCM {
    /// Key length in bytes.
    public static let keyCount = 32
    /// Nonce length in bytes.
    public static let nonceCount = 12
    /// Tag length in bytes.
    public static let tagCount = 16

    /// Encrypts `plaintext`, authenticating `aad` too.
    ///
    /// - Returns: the ciphertext (same length as the plaintext) followed by the 16-byte tag.
    public static func seal(_ plaintext: [UInt8], key: SecureBytes, nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        let count = plaintext.count + tagCount
        return try [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            try plaintext.withUnsafeBytes { input in
                try nonce.withUnsafeBytes { nonceBytes in
                    try aad.withUnsafeBytes { aadBytes in
                        try seal(
                            input,
                            key: key,
                            nonce: nonceBytes,
                            aad: aadBytes,
                            into: UnsafeMutableRawBufferPointer(output)
                        )
                    }
                }
            }
            initialized = count
        }
    }

    /// Decrypts and verifies `ciphertextAndTag` (ciphertext followed by the 16-byte tag).
    ///
    /// - Throws: `SealingError(.authenticationFailed)` when the tag does not verify; no plaintext
    ///   bytes are returned then (the output buffer is wiped).
    public static func open(
        _ ciphertextAndTag: [UInt8],
        key: SecureBytes,
        nonce: [UInt8],
        aad: [UInt8]
    ) throws -> [UInt8] {
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        return try ciphertextAndTag.withUnsafeBytes { input in
            try nonce.withUnsafeBytes { nonceBytes in
                try aad.withUnsafeBytes { try open(input, key: key, nonce: nonceBytes, aad: $0) }
            }
        }
    }

    /// `open` over a slice of a larger buffer (a sealed value's body), without copying it.
    public static func open(
        _ ciphertextAndTag: ArraySlice<UInt8>,
        key: SecureBytes,
        nonce: [UInt8],
        aad: [UInt8]
    ) throws
        -> [UInt8]
    {
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        return try ciphertextAndTag.withUnsafeBytes { input in
            try nonce.withUnsafeBytes { nonceBytes in
                try aad.withUnsafeBytes { try open(input, key: key, nonce: nonceBytes, aad: $0) }
            }
        }
    }

    // MARK: - The EVP calls

    /// Encrypts into `output`, which must hold exactly the plaintext plus the tag.
    static func seal(
        _ input: UnsafeRawBufferPointer,
        key: SecureBytes,
        nonce: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws {
        guard key.count == keyCount else { throw SealingError(.invalidKey, detail: "AES-256 needs a 32-byte key") }
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        guard input.count <= Int(Int32.max) - tagCount else { throw SealingError(.tooLarge) }
        precondition(output.count == input.count + tagCount, "output must hold the ciphertext and the tag")
        try withFreshContext { context in
            OpenSSLErrorQueue.clear()
            try key.withUnsafeBytes { keyBytes in
                guard EVP_EncryptInit_ex(context, cipher, nil, bytes(keyBytes), bytes(nonce)) == 1 else {
                    throw SealingError.openSSL("EVP_EncryptInit_ex")
                }
            }
            var length: Int32 = 0
            if aad.count > 0 {
                guard EVP_EncryptUpdate(context, nil, &length, bytes(aad), Int32(aad.count)) == 1 else {
                    throw SealingError.openSSL("EVP_EncryptUpdate(aad)")
                }
            }
            let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var written = 0
            if input.count > 0 {
                guard EVP_EncryptUpdate(context, out, &length, bytes(input), Int32(input.count)) == 1 else {
                    throw SealingError.openSSL("EVP_EncryptUpdate")
                }
                written = Int(length)
            }
            guard EVP_EncryptFinal_ex(context, out + written, &length) == 1 else {
                throw SealingError.openSSL("EVP_EncryptFinal_ex")
            }
            written += Int(length)
            precondition(written == input.count, "GCM output length differs from input length")
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagCount), out + written) == 1 else {
                throw SealingError.openSSL("EVP_CTRL_AEAD_GET_TAG")
            }
        }
    }

    /// Decrypts and verifies; on failure wipes what was decrypted and returns nothing.
    static func open(
        _ input: UnsafeRawBufferPointer,
        key: SecureBytes,
        nonce: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        guard key.count == keyCount else { throw SealingError(.invalidKey, detail: "AES-256 needs a 32-byte key") }
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        guard input.count >= tagCount else { throw SealingError(.truncated) }
        let ciphertextCount = input.count - tagCount
        return try withFreshContext { context in
            OpenSSLErrorQueue.clear()
            try key.withUnsafeBytes { keyBytes in
                guard EVP_DecryptInit_ex(context, cipher, nil, bytes(keyBytes), bytes(nonce)) == 1 else {
                    throw SealingError.openSSL("EVP_DecryptInit_ex")
                }
            }
            var length: Int32 = 0
            if aad.count > 0 {
                guard EVP_DecryptUpdate(context, nil, &length, bytes(aad), Int32(aad.count)) == 1 else {
                    throw SealingError.openSSL("EVP_DecryptUpdate(aad)")
                }
            }
            var verified = false
            var output = [UInt8](unsafeUninitializedCapacity: ciphertextCount + 1) { buffer, initialized in
                let out = buffer.baseAddress!
                initialized = ciphertextCount + 1
                var written = 0
                if ciphertextCount > 0 {
                    guard EVP_DecryptUpdate(context, out, &length, bytes(input), Int32(ciphertextCount)) == 1 else {
                        return
                    }
                    written = Int(length)
                }
                var tag = Array(UnsafeRawBufferPointer(rebasing: input[ciphertextCount...]))
                guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagCount), &tag) == 1 else { return }
                verified = EVP_DecryptFinal_ex(context, out + written, &length) == 1
            }
            guard verified else {
                wipe(&output)
                OpenSSLErrorQueue.clear()
                throw SealingError(.authenticationFailed)
            }
            output.removeLast()
            return output
        }
    }

    /// Runs `body` with a new cipher context, freed (and its key schedule cleansed by OpenSSL) after.
    private static func withFreshContext<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        guard let context = EVP_CIPHER_CTX_new() else { throw SealingError.openSSL("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        return try body(context)
    }

    private static func bytes(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8> {
        // Callers pass non-empty buffers; the fallback only guards an empty buffer's nil base address.
        (buffer.baseAddress ?? UnsafeRawPointer(emptyByte)).assumingMemoryBound(to: UInt8.self)
    }

    private nonisolated(unsafe) static let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    /// The cipher, fetched from OpenSSL's default provider once. OpenSSL 3 fetches implicitly on every
    /// `EVP_aes_256_gcm()` init otherwise, which costs more than sealing a small value.
    /// `nonisolated(unsafe)`: an `EVP_CIPHER` is immutable and reference-counted; OpenSSL allows
    /// sharing it between threads, and this reference is never released or replaced.
    nonisolated(unsafe) static let cipher: OpaquePointer = {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            fatalError("OpenSSL has no AES-256-GCM: \(OpenSSLErrorQueue.drain())")
        }
        return cipher
    }()
}
