import Foundation
import HTTPTypes
import HavenMail
import HavenReports
import HavenService
import Hummingbird
import Logging
import Postgres
import Sealing

/// Haven's HTTP JSON API: the same `HavenService` methods the CLI calls, behind bearer-token auth,
/// with RFC 9457 problems for every failure. Routes hold no business rule; they parse, call one
/// service method and encode. The contract is `docs/openapi.yaml`, served at `/openapi.yaml`.
public struct HavenAPI: Sendable {
    let pool: ConnectionPool
    let keys: KeyManager
    let auth: AuthService
    let logger: Logger
    let throttle: LoginThrottle
    /// The partner portal (docs/portal.md), with the staff sign-in's hasher and session policy.
    let portal: PortalService
    /// The portal's own sign-in and invitation-code pauses (the staff rule, counted apart).
    let portalThrottle: LoginThrottle
    /// Whether the database and keys were found ready (checked again on each `/ready`).
    let readiness: @Sendable () async -> [String]
    /// Prints reports to PDF; nil when the host has no Chromium (reports are then HTML, Markdown, JSON).
    let pdfPrinter: PDFPrinter?
    /// At most two PDFs print at once: each is a Chromium process of a few hundred MiB.
    let pdfPrints = ConcurrencyGate(limit: 2)

    /// - Parameters:
    ///   - pool: connections as the application role.
    ///   - keys: the master keys, already checked against the database.
    ///   - auth: sign-in and token checks, with the session policy.
    ///   - loginLimits: how many failed sign-ins an account or an address gets before a pause.
    ///   - pdfPrinter: prints reports to PDF (the host's Chromium, found by default); nil: no PDF.
    ///   - mail: where portal invitations and sign-in links are emailed; nil: links are shown to pass on.
    ///   - readiness: what is not ready (empty when ready): database, migrations, keys.
    public init(
        pool: ConnectionPool,
        keys: KeyManager,
        auth: AuthService,
        logger: Logger,
        loginLimits: LoginLimits = LoginLimits(),
        pdfPrinter: PDFPrinter? = PDFPrinter(),
        mail: MailConfiguration? = nil,
        readiness: @escaping @Sendable () async -> [String]
    ) {
        self.pdfPrinter = pdfPrinter
        self.pool = pool
        self.keys = keys
        self.auth = auth
        self.logger = logger
        self.readiness = readiness
        let limits = LoginThrottle.Limits(
            perAccount: loginLimits.perAccount,
            perAddress: loginLimits.perAddress,
            window: loginLimits.window
        )
        self.throttle = LoginThrottle(limits: limits)
        self.portal = PortalService(pool: pool, sharing: auth, keys: keys, mail: mail)
        self.portalThrottle = LoginThrottle(limits: limits)
    }

    /// Failed sign-ins allowed per account and per client address within the window.
    public struct LoginLimits: Sendable {
        public var perAccount: Int
        public var perAddress: Int
        public var window: Duration

        public init(perAccount: Int = 5, perAddress: Int = 20, window: Duration = .seconds(15 * 60)) {
            self.perAccount = perAccount
            self.perAddress = perAddress
            self.window = window
        }
    }

    /// The router with every route and middleware.
    public func router() -> Router<HavenRequestContext> {
        let router = Router(context: HavenRequestContext.self)
        router.middlewares.add(RequestMiddleware(logger: logger))
        addOperations(to: router)
        router.post("/v1/auth/sessions") { request, context in try await self.signIn(request, context) }
        let v1 = router.group("/v1").add(middleware: AuthMiddleware(auth: auth)).add(middleware: AcceptMiddleware())
        v1.delete("/auth/sessions/current") { request, context in try await self.signOut(request, context) }
        // The paths before sign-in moved under /v1/auth (so a staff session cannot be mixed up with a
        // therapy session, /v1/therapy-sessions): kept for one release, marked deprecated.
        router.post("/v1/sessions") { request, context in
            Self.deprecated(try await self.signIn(request, context), successor: "/v1/auth/sessions")
        }
        v1.delete("/sessions/current") { request, context in
            Self.deprecated(try await self.signOut(request, context), successor: "/v1/auth/sessions/current")
        }
        v1.get("/me") { _, context in try await self.me(context) }
        addCouples(to: v1)
        addNotes(to: v1)
        addSchedule(to: v1)
        addHomework(to: v1)
        addMeasures(to: v1)
        addRecords(to: v1)
        addTOTP(to: v1)
        addCycleMaps(to: v1)
        addCharts(to: v1)
        addCareStatus(to: v1)
        addChartRecords(to: v1)
        addAudit(to: v1)
        addStaff(to: v1)
        addReferences(to: v1)
        addReportSummaries(to: v1)
        addExport(to: v1)
        addBreakGlass(to: v1)
        addPsychotherapyNotes(to: v1)
        addToday(to: v1)
        addRiskFlags(to: v1)
        addChartRecord(to: v1)
        addWeb(to: router)
        return router
    }

    /// `response` marked as from a deprecated path (RFC 9745 `Deprecation`, RFC 8288 `Link` to the
    /// path that replaces it).
    static func deprecated(_ response: Response, successor: String) -> Response {
        var response = response
        // 2026-12-05T00:00:00Z, the release that moved the sign-in paths.
        response.headers[.deprecation] = "@1796428800"
        response.headers[.link] = "<\(successor)>; rel=\"successor-version\""
        return response
    }

    /// A path parameter that must be a UUID.
    static func id(_ name: String, _ context: HavenRequestContext) throws -> UUID {
        guard let text = context.parameters.get(name), let id = UUID(uuidString: text) else {
            throw APIError(status: .badRequest, kind: "malformed-id", detail: "\(name) must be a UUID", field: name)
        }
        return id
    }
}
