import ArgumentParser
import Foundation
import Sealing

extension HavenBench {
    /// Sealing costs: `Sealer` beside the bare AES-GCM call sequence, and scrypt verification.
    struct Crypto: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seal/open throughput and scrypt cost.")

        @Option(help: "Seconds per measurement.")
        var seconds = 1.0

        func run() async throws {
            let key = DataKey(id: Array(repeating: 7, count: 16), secret: try SecureBytes(randomCount: 32))
            let context = SealContext(
                table: "progress_notes",
                column: "body",
                rowID: UUID().uuidString.lowercased(),
                subject: "couple:\(UUID().uuidString.lowercased())"
            )
            for size in [256, 2_048, 16_384, 65_536] {
                let plaintext = [UInt8](repeating: 0x61, count: size)
                let sealed = try Sealer.seal(plaintext, with: key, context: context)
                let seal = try measure { _ = try Sealer.seal(plaintext, with: key, context: context) }
                let open = try measure { _ = try Sealer.open(sealed, context: context) { _ in key } }
                let raw = try measure {
                    let nonce = try SecureRandom.bytes(AESGCM.nonceCount)
                    _ = try AESGCM.seal(plaintext, key: key.secret, nonce: nonce, aad: [])
                }
                report("seal", size: size, nanoseconds: seal)
                report("open", size: size, nanoseconds: open)
                report("raw-evp-seal", size: size, nanoseconds: raw)
            }
            let hasher = PasswordHasher()
            let stored = try await hasher.hash("correct horse battery staple")
            var verifies = 0
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(2) || verifies < 3 {
                let verified = await hasher.verify("correct horse battery staple", against: stored)
                precondition(verified)
                verifies += 1
            }
            let elapsed = ContinuousClock.now - start
            let milliseconds =
                Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
            print("RESULT scrypt-verify ln=17,r=8,p=1 ms=\(String(format: "%.1f", milliseconds / Double(verifies)))")
        }

        /// Mean nanoseconds per call of `body`, run for `seconds`.
        private func measure(_ body: () throws -> Void) throws -> Double {
            for _ in 0..<200 { try body() }
            var iterations = 0
            let start = ContinuousClock.now
            let limit = Duration.milliseconds(Int(seconds * 1_000))
            while true {
                for _ in 0..<100 { try body() }
                iterations += 100
                if ContinuousClock.now - start >= limit { break }
            }
            let elapsed = ContinuousClock.now - start
            let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            return nanoseconds / Double(iterations)
        }

        private func report(_ name: String, size: Int, nanoseconds: Double) {
            let megabytesPerSecond = Double(size) / nanoseconds * 1e3
            print(
                "RESULT \(name) bytes=\(size) ns=\(String(format: "%.0f", nanoseconds)) MBps=\(String(format: "%.1f", megabytesPerSecond))"
            )
        }
    }
}
