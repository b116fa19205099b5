import Foundation
import HavenCore
import HavenHTTP
import HavenService

/// What `haven couple status` and `haven client status` share: show a chart's care status, or set it
/// through `PUT /v1/couples/{id}/status` (`/v1/clients/{id}/status`), the server's refusals naming the
/// flag the user typed.
enum CareStatusSetting {
    /// Shows or sets the status of the chart `id` (an id or prefix) of `kind`.
    ///
    /// - Parameter set: what the user gave `--set` (checked here first, so a typo names `--set`).
    static func run(
        _ id: String,
        kind: ReferenceResolver.Kind,
        set: String?,
        options: ClinicalOptions,
        output: OutputOptions
    ) async throws {
        let target: CareStatus? = try set.map { try parseValue($0, option: "--set", kind: "a care status") }
        try await Clinic.with(options) { clinic in
            let resolved = try await clinic.resolve(id, as: kind)
            let chart: ChartReference = kind == .couple ? .couple(resolved) : .client(resolved)
            let noun = kind == .couple ? "Couple" : "Client"
            guard let target else {
                let status: String =
                    switch chart {
                    case .couple:
                        try await clinic.api.send("GET", Clinic.path(of: chart), as: HavenAPI.CoupleView.self).status
                    case .client:
                        try await clinic.api.send("GET", Clinic.path(of: chart), as: HavenAPI.ClientView.self).status
                    }
                try output.emit(["id": full(resolved), "status": status]) { "\(noun) \(short(resolved)) is \(status)." }
                return
            }
            let change = try await Clinic.naming(["status": "--set", "couple": "couple", "client": "client"]) {
                try await clinic.api.send(
                    "PUT",
                    Clinic.path(of: chart) + "/status",
                    body: HavenAPI.CareStatusBody(status: target.rawValue),
                    as: HavenAPI.CareStatusView.self
                )
            }
            try output.emit(change) {
                guard change.changed else {
                    return "\(noun) \(short(resolved)) is already \(change.status); nothing changed."
                }
                return "\(noun) \(short(resolved)) is now \(change.status) (was \(change.previousStatus)).\n"
                    + consequence(of: target, from: change.previousStatus, couple: kind == .couple)
            }
        }
    }

    /// What the change did besides, in a line or two.
    static func consequence(of target: CareStatus, from previous: String, couple: Bool) -> String {
        let people = couple ? "Both partners were" : "The client was"
        let booked = "Booked sessions stay booked: cancel any that will not take place ('haven session cancel')."
        switch target {
        case .paused:
            return "\(people) signed out of the portal and get no reminders while it is paused.\n\(booked)"
        case .discharged:
            return "\(people) signed out of the portal; portal access to this chart is off and open invitations "
                + "are cancelled.\n\(booked)"
        case .active:
            return previous == CareStatus.discharged.rawValue
                ? "Portal access stays off after a discharge: invite again from the chart's Portal access."
                : "The portal is open again to those who have access, and reminders resume."
        }
    }
}
