import COpenSSL

/// Secret bytes (keys) in memory that is wiped with `OPENSSL_cleanse` when released.
///
/// Never printed: `description` is `<redacted>`. Copies share the one buffer (it is a class), so
/// there is exactly one copy to wipe.
public final class SecureBytes: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    // Safety: the buffer is written only in `init`; after that it is only read, until `deinit`.
    private nonisolated(unsafe) let buffer: UnsafeMutableRawBufferPointer

    /// Copies `bytes` into a fresh buffer. The caller should wipe its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var index = 0
        for byte in bytes {
            buffer[index] = byte
            index += 1
        }
        count = bytes.count
    }

    /// Fills a fresh buffer of `count` bytes from OpenSSL's CSPRNG.
    public init(randomCount count: Int) throws {
        buffer = .allocate(byteCount: max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        self.count = count
        guard RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1 else {
            OPENSSL_cleanse(buffer.baseAddress, buffer.count)
            buffer.deallocate()
            throw SealingError.openSSL("RAND_bytes")
        }
    }

    deinit {
        OPENSSL_cleanse(buffer.baseAddress, buffer.count)
        buffer.deallocate()
    }

    /// The number of secret bytes.
    public let count: Int

    /// Calls `body` with the secret bytes. Do not let them escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// Compares in constant time (for equal lengths).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in CRYPTO_memcmp(mine.baseAddress, theirs.baseAddress, count) == 0 }
        }
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Overwrites `bytes` with zeros using `OPENSSL_cleanse`, which the compiler cannot optimize away.
public func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
    }
}
