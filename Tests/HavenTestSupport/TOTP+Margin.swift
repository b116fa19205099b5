import Foundation
import Sealing

extension TOTP {
    /// The time step before the current one, returned once at least `margin` seconds of the current
    /// step remain (waiting for the next step when fewer do).
    ///
    /// A code of the previous step is accepted only until the current step ends (the window is one
    /// step either side), so a test that confirms an app with it, keeping the current step free for the
    /// sign-in after, was refused whenever a slow machine crossed a step boundary between computing
    /// the code and the server checking it. With the margin, only a delay longer than `margin` can.
    public func previousStep(leaving margin: TimeInterval = 12) async throws -> Int64 {
        precondition(margin < TimeInterval(period))
        if secondsLeftInStep() < margin { try await sleepIntoNextStep() }
        return step(at: Date()) - 1
    }

    /// The first time step after `used` whose code the server takes now and for at least the next 30
    /// seconds: the current step when it is past `used` (taken until the next one ends), else `used + 1`
    /// when that is the next step (taken until the one after it ends), else (a step ahead of the clock
    /// was used) after waiting for the clock to catch up.
    ///
    /// A test that fixes a step at its start and sends a code of it or of the step after much later is
    /// refused once a loaded machine has let the window move on; one that asks for this right before
    /// each request is not.
    public func step(after used: Int64) async throws -> Int64 {
        while true {
            let now = step(at: Date())
            if now > used { return now }
            if used == now { return used + 1 }
            try await sleepIntoNextStep()
        }
    }

    private func secondsLeftInStep() -> TimeInterval {
        TimeInterval(period) - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: TimeInterval(period))
    }

    /// Sleeps until a little past the next step boundary, so a step read after it is the next one.
    private func sleepIntoNextStep() async throws {
        try await Task.sleep(for: .milliseconds(Int((secondsLeftInStep() + 0.05) * 1_000)))
    }
}
