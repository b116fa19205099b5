import Mustache

// The layout reads the chrome on every page (and climbs to it from inside every list section):
// a switch instead of swift-mustache's `Mirror` lookup (see ChartView+Template.swift).

extension PageChrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "csrf": csrf
        case "signedIn": signedIn
        case "nav": nav
        case "userName": userName
        case "idleSeconds": idleSeconds
        case "idle": idle
        case "idlePaths": idlePaths
        case "breakGlass": breakGlass
        case "portalSafety": portalSafety
        default: nil
        }
    }
}

extension PageChrome.NavLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "href": href
        case "current": current
        default: nil
        }
    }
}

extension PageChrome.IdlePaths: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "keepalive": keepalive
        case "signOut": signOut
        case "signedOut": signedOut
        default: nil
        }
    }
}

extension PageChrome.BreakGlassBanner: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chartLabel": chartLabel
        case "chartHref": chartHref
        case "remaining": remaining
        case "closeAction": closeAction
        default: nil
        }
    }
}
