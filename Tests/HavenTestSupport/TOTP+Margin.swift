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
        let now = Date().timeIntervalSince1970
        let left = TimeInterval(period) - now.truncatingRemainder(dividingBy: TimeInterval(period))
        if left < margin {
            // A little past the boundary, so the step read after the sleep is the next one.
            try await Task.sleep(for: .milliseconds(Int((left + 0.05) * 1_000)))
        }
        return step(at: Date()) - 1
    }
}
