import Foundation
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("The high-risk override through the API: one rule for sessions and homework", .needsTestDatabase)
struct RiskOverrideRouteTests {
    @Test func aTokenReasonIsRefusedForAConjointSessionAndAJointExercise() async throws {
        try await HTTPFixture.with { fixture, client in
            let auth = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            // The couple's latest note records high risk.
            let note =
                #"{"sessionId": "\#(fixture.danaSession)", "stage": 1, "step": 2, "riskLevel": "high", "riskDetail": "Fictional.", "body": "Fictional note."}"#
            try await client.execute(uri: "/v1/notes", method: .post, headers: auth, body: ByteBuffer(string: note)) {
                #expect($0.status == .created)
            }
            let joint = try await HTTPFixture.promptID(client, auth, joint: true)
            let schedule =
                #"{"coupleId": "\#(fixture.danaCouple)", "start": "2026-12-01T16:00:00Z", "durationMinutes": 50, "format": "video""#
            let assign =
                #"{"promptId": "\#(joint)", "coupleId": "\#(fixture.danaCouple)", "sessionId": "\#(fixture.danaSession)", "dueOn": "2099-01-01""#
            for (uri, body) in [("/v1/therapy-sessions", schedule), ("/v1/homework/assignments", assign)] {
                for reason in ["ok", "  ok  ", "Reviewed, fine."] {
                    let override = body + #", "riskOverrideReason": "\#(reason)"}"#
                    try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: override))
                    {
                        response in
                        #expect(response.status == .unprocessableContent, "\(uri) \(reason)")
                        let problem = try json(Problem.self, response)
                        #expect(problem.field == "riskOverrideReason")
                        #expect(problem.detail == "must say why, in 20 to 1000 characters")
                    }
                }
                // No reason at all is the gate's own refusal; a reason a reviewer can read goes through.
                try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: body + "}")) {
                    response in
                    #expect(response.status == .unprocessableContent)
                    let problem = try json(Problem.self, response)
                    #expect(problem.detail.hasPrefix("this couple has an open high-risk flag"))
                }
                let reasoned = body + #", "riskOverrideReason": "Fictional: safety plan reviewed with both."}"#
                try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: reasoned)) {
                    #expect($0.status == .created)
                }
            }
            let overrides = try await fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: fixture.practiceID), on: connection)
            }.map(\.entry).filter { $0.action.hasSuffix(".risk_override") }
            #expect(overrides.map(\.action) == ["session.schedule.risk_override", "homework.assign.risk_override"])
        }
    }
}
