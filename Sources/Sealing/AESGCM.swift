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

    /// The cipher, fetched from OpenSSL's default provider once. OpenSSL 3 fetches implicitly on every
    /// `EVP_aes_256_gcm()` init otherwise, which costs more than sealing a small value.
    /// `nonisolated(unsafe)`: an `EVP_CIPHER` is immutable and reference-counted; OpenSSL allows
    /// sharing it between threads, and this reference is never released or replaced.
    private nonisolated(unsafe) static let cipher: OpaquePointer = {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            fatalError("OpenSSL has no AES-256-GCM: \(OpenSSLErrorQueue.drain())")
        }
        return cipher
    }()

    /// Encrypts `plaintext`, authenticating `aad` too.
    ///
    /// - Returns: the ciphertext (same length as the plaintext) followed by the 16-byte tag.
    public static func seal(
        _ plaintext: [UInt8],
        key: SecureBytes,
        nonce: [UInt8],
        aad: [UInt8]
    ) throws -> [UInt8] {
        guard key.count == keyCount else { throw SealingError(.invalidKey, detail: "AES-256 needs a 32-byte key") }
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        OpenSSLErrorQueue.clear()
        guard let context = EVP_CIPHER_CTX_new() else { throw SealingError.openSSL("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        return try plaintext.withUnsafeBytes { input in
            guard input.count <= Int(Int32.max) - tagCount else { throw SealingError(.tooLarge) }
            var output = [UInt8](repeating: 0, count: input.count + tagCount)
            try key.withUnsafeBytes { keyBytes in
                guard
                    EVP_EncryptInit_ex(
                        context,
                        cipher,
                        nil,
                        keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        nonce
                    ) == 1
                else { throw SealingError.openSSL("EVP_EncryptInit_ex") }
            }
            var length: Int32 = 0
            if !aad.isEmpty {
                guard EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1 else {
                    throw SealingError.openSSL("EVP_EncryptUpdate(aad)")
                }
            }
            var written = 0
            try output.withUnsafeMutableBufferPointer { out in
                if input.count > 0 {
                    guard
                        EVP_EncryptUpdate(
                            context,
                            out.baseAddress,
                            &length,
                            input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            Int32(input.count)
                        ) == 1
                    else { throw SealingError.openSSL("EVP_EncryptUpdate") }
                    written = Int(length)
                }
                guard EVP_EncryptFinal_ex(context, out.baseAddress! + written, &length) == 1 else {
                    throw SealingError.openSSL("EVP_EncryptFinal_ex")
                }
                written += Int(length)
                guard
                    EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagCount), out.baseAddress! + written)
                        == 1
                else { throw SealingError.openSSL("EVP_CTRL_AEAD_GET_TAG") }
            }
            precondition(written == input.count, "GCM output length differs from input length")
            return output
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
        try ciphertextAndTag.withUnsafeBytes { try open(bytes: $0, key: key, nonce: nonce, aad: aad) }
    }

    /// `open` over a slice of a larger buffer (a sealed value's body), without copying it.
    public static func open(
        _ ciphertextAndTag: ArraySlice<UInt8>,
        key: SecureBytes,
        nonce: [UInt8],
        aad: [UInt8]
    ) throws -> [UInt8] {
        try ciphertextAndTag.withUnsafeBytes { try open(bytes: $0, key: key, nonce: nonce, aad: aad) }
    }

    private static func open(
        bytes input: UnsafeRawBufferPointer,
        key: SecureBytes,
        nonce: [UInt8],
        aad: [UInt8]
    ) throws -> [UInt8] {
        guard key.count == keyCount else { throw SealingError(.invalidKey, detail: "AES-256 needs a 32-byte key") }
        guard nonce.count == nonceCount else { throw SealingError(.badNonceLength) }
        do {
            guard input.count >= tagCount else { throw SealingError(.truncated) }
            let ciphertextCount = input.count - tagCount
            OpenSSLErrorQueue.clear()
            guard let context = EVP_CIPHER_CTX_new() else { throw SealingError.openSSL("EVP_CIPHER_CTX_new") }
            defer { EVP_CIPHER_CTX_free(context) }
            try key.withUnsafeBytes { keyBytes in
                guard
                    EVP_DecryptInit_ex(
                        context,
                        cipher,
                        nil,
                        keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        nonce
                    ) == 1
                else { throw SealingError.openSSL("EVP_DecryptInit_ex") }
            }
            var length: Int32 = 0
            if !aad.isEmpty {
                guard EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1 else {
                    throw SealingError.openSSL("EVP_DecryptUpdate(aad)")
                }
            }
            var output = [UInt8](repeating: 0, count: ciphertextCount + 1)
            let bytes = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let verified: Bool = output.withUnsafeMutableBufferPointer { out in
                var written = 0
                if ciphertextCount > 0 {
                    guard EVP_DecryptUpdate(context, out.baseAddress, &length, bytes, Int32(ciphertextCount)) == 1
                    else { return false }
                    written = Int(length)
                }
                var tag = Array(UnsafeBufferPointer(start: bytes + ciphertextCount, count: tagCount))
                guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagCount), &tag) == 1 else {
                    return false
                }
                return EVP_DecryptFinal_ex(context, out.baseAddress! + written, &length) == 1
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
}
