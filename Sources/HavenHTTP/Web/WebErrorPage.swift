import Foundation
import HTTPTypes
import HavenService
import Hummingbird
import Logging

/// The page for a request that failed: a signed-out session goes to the sign-in page; a refusal says
/// what to do in the service's own words (which carry no clinical text); anything else is a generic
/// page with the request id, its cause only in the log (by type, never its text).
enum WebErrorPage {
    static func response(for error: Error, requestID: String, logger: Logger) -> Response {
        switch error {
        case WebRefusal.signedOut:
            return WebPage.redirect(to: "/sign-in")
        case let error as ServiceError where error.kind == .unauthenticated:
            var response = WebPage.redirect(to: "/sign-in")
            response.setCookie(WebSession.expired(named: WebSession.cookieName))
            return response
        case WebRefusal.crossSite:
            return page(.forbidden, "Refused", "This form was sent from another site, so Haven did not act on it.")
        case WebRefusal.badToken:
            return page(
                .forbidden,
                "This form has expired",
                "Haven did not act on it: the form belongs to another or an ended session. Go back, reload the page and send it again."
            )
        case WebRefusal.notAForm:
            return page(.unsupportedMediaType, "Refused", "Haven's pages accept only forms.")
        case let error as ServiceError where error.kind == .notFound:
            return page(.notFound, "Not found", "There is nothing here, or it is not in your caseload.")
        case let error as ServiceError where error.kind != .integrity:
            return page(.unprocessableContent, "Not done", error.description)
        default:
            logger.error("page failed", metadata: ["request_id": "\(requestID)", "error_type": "\(type(of: error))"])
            return page(
                .internalServerError,
                "Something went wrong",
                "Haven could not show this page. If it happens again, give your administrator this reference: \(requestID)."
            )
        }
    }

    static func page(_ status: HTTPResponse.Status, _ title: String, _ message: String) -> Response {
        WebPage.html(
            WebTemplates.render(ErrorView(chrome: .signedOut(title: title), message: message), template: "error"),
            status: status
        )
    }

    /// A chart that is missing or out of the caseload: the same 404 page either way (it names only the
    /// id that was asked), with the way to break-glass access for that id, so a counselor who must
    /// reach a colleague's chart in an emergency finds the form from the chart's own address.
    static func chartNotFound(_ chart: ChartReference) -> Response {
        var view = ErrorView(
            chrome: .signedOut(title: "Not found"),
            message: "There is nothing here, or it is not in your caseload."
        )
        view.breakGlassHref = "/break-glass?\(chart.kind)=\(HavenAPI.text(chart.id))"
        return WebPage.html(WebTemplates.render(view, template: "error"), status: .notFound)
    }

    struct ErrorView {
        var chrome: PageChrome
        var message: String
        /// Set on a chart's 404 page: the break-glass form for the chart that was asked for.
        var breakGlassHref: String?
    }
}

/// Building page responses.
enum WebPage {
    /// An HTML page.
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A `303 See Other` to a local path (callers pass only paths they built).
    static func redirect(to path: String) -> Response {
        precondition(path.hasPrefix("/") && !path.hasPrefix("//"), "web redirects go to local paths only")
        var headers = HTTPFields()
        headers[.location] = path
        return Response(status: .seeOther, headers: headers)
    }
}
