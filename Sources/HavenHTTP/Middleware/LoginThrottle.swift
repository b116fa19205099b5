import Foundation
import Synchronization

/// Limits failed sign-ins per account and per client address over a sliding window: after too many
/// failures, further attempts are refused (429, with when to retry) before any password is checked,
/// so guessing costs time and the scrypt work cannot be used to load the server. A success clears
/// the account's failures. In memory, per process: behind a load balancer each instance counts its
/// own (docs/operations.md).
final class LoginThrottle: Sendable {
    struct Limits: Sendable {
        var perAccount = 5
        var perAddress = 20
        var window: Duration = .seconds(15 * 60)
    }

    private let limits: Limits
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// How long until `email` from `address` may try again, or nil when it may now.
    func wait(email: String, address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { table in
            var longest: Duration?
            for (key, limit) in [
                ("account:" + Self.account(email), limits.perAccount), ("address:" + address, limits.perAddress),
            ] {
                let recent = (table[key] ?? []).filter { now - $0 < limits.window }
                table[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    let wait = limits.window - (now - oldest)
                    longest = max(longest ?? .zero, wait)
                }
            }
            return longest
        }
    }

    /// The account key: the email as sign-in matches it (trimmed, lowercased), so spacing or case
    /// cannot buy more attempts.
    static func account(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Records a failed attempt.
    func failed(email: String, address: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { table in
            for key in ["account:" + Self.account(email), "address:" + address] {
                table[key, default: []].append(now)
            }
        }
    }

    /// Clears the account's failures after a successful sign-in.
    func succeeded(email: String) {
        _ = failures.withLock { $0.removeValue(forKey: "account:" + Self.account(email)) }
    }
}
