import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// `GET/POST /account/code-app`: enrol a one-time-code app (`TOTPService.status/begin/confirm`, the
    /// calls behind `/v1/me/totp`). The QR code is SVG made on the server from libqrencode's matrix
    /// and embedded in the page (no request carries the secret; the page is `no-store`). Open to a
    /// session that owes the practice an app: every other page sends it here.
    func addAccountPages(to web: RouterGroup<HavenRequestContext>) {
        let totp = TOTPService(pool: pool, keys: keys)
        web.get("/account/code-app") { request, context in
            let user = try SignedIn(request, context)
            let status = try await totp.status(actor: user.actor)
            return Self.codeAppPage(CodeAppView(user: user, status: status))
        }
        // A new secret (replacing an unconfirmed one): shown once, in this response only.
        web.post("/account/code-app/start") { request, context in
            let user = try SignedIn(request, context)
            let enrollment: TOTPService.Enrollment
            do {
                enrollment = try await totp.begin(actor: user.actor)
            } catch let error as ServiceError where error.kind == .conflict {
                var view = CodeAppView(user: user, status: try await totp.status(actor: user.actor))
                view.error = error.description
                return Self.codeAppPage(view, status: .conflict)
            }
            var view = CodeAppView(user: user, status: .init(enrolled: false, pending: true, required: false))
            view.secret = Self.grouped(enrollment.secret)
            view.qr = QRCodeSVG.svg(for: enrollment.uri, label: "QR code to scan with your authenticator app")
            return Self.codeAppPage(view)
        }
        web.post("/account/code-app") { request, context in
            var request = request
            let user = try SignedIn(request, context)
            let code = (try await WebForm(request: &request)["code"] ?? "").filter { !$0.isWhitespace }
            let account = "staff:" + user.actor.staffID.uuidString
            let address = context.remoteAddress?.ipAddress ?? "unknown"
            var view = CodeAppView(user: user, status: .init(enrolled: false, pending: true, required: false))
            if throttle.wait(email: account, address: address) != nil {
                view.error = "Too many wrong codes. Wait a few minutes, then try again."
                return Self.codeAppPage(view, status: .tooManyRequests)
            }
            do {
                try await totp.confirm(code: String(code.prefix(20)), actor: user.actor)
            } catch let error as ServiceError where error.field == "code" || error.kind == .notFound {
                if error.field == "code" { throttle.failed(email: account, address: address) }
                view.status = try await totp.status(actor: user.actor)
                view.error =
                    error.field == "code"
                    ? "That code did not match. Check the device's clock and enter the next code the app shows."
                    : error.description
                return Self.codeAppPage(view, status: .unprocessableContent)
            }
            throttle.succeeded(email: account)
            return WebPage.redirect(to: "/account/code-app")
        }
    }

    /// What the code-app template shows.
    struct CodeAppView {
        var chrome: PageChrome
        var enrolled: Bool
        var pending: Bool
        var required: Bool
        var error: String?
        /// The new secret in base32, in groups of four (only right after `begin`).
        var secret: String?
        /// The QR code of the `otpauth://` URI: SVG Haven made from numbers (only right after `begin`).
        var qr: String?

        init(user: SignedIn, status: TOTPService.Status) {
            chrome = user.chrome("Code app", section: "/account/code-app")
            enrolled = status.enrolled
            pending = status.pending
            required = status.required || user.actor.totpEnrollmentDue
        }

        var status: TOTPService.Status {
            get { .init(enrolled: enrolled, pending: pending, required: required) }
            set {
                enrolled = newValue.enrolled
                pending = newValue.pending
                required = required || newValue.required
            }
        }
    }

    static func codeAppPage(_ view: CodeAppView, status: HTTPResponse.Status = .ok) -> Response {
        WebPage.html(WebTemplates.render(view, template: "code-app"), status: status)
    }

    /// `ABCDEFGH…` as `ABCD EFGH …`, easier to type into an app by hand.
    static func grouped(_ secret: String) -> String {
        stride(from: 0, to: secret.count, by: 4).map { offset in
            let start = secret.index(secret.startIndex, offsetBy: offset)
            return String(
                secret[start..<(secret.index(start, offsetBy: 4, limitedBy: secret.endIndex) ?? secret.endIndex)]
            )
        }.joined(separator: " ")
    }
}
