import Mustache

// The chart page's views answer the template's names through a switch rather than swift-mustache's
// `Mirror` lookup, which materialised every field of a row (and demangled its type) for each name
// the template read: most of the page's time on a 200-session chart (docs/benchmarks.md, "The chart
// page's time"). Each switch lists the struct's stored properties, by their names; a test compares
// every case with `Mirror` (`WebTemplateTests`).

extension ChartView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "isCouple": isCouple
        case "names": names
        case "summary": summary
        case "openRiskFlag": openRiskFlag
        case "portalSafetyMode": portalSafetyMode
        case "riskDetail": riskDetail
        case "riskStatement": riskStatement
        case "contents": contents
        case "partners": partners
        case "concerns": concerns
        case "goals": goals
        case "current": current
        case "stageChart": stageChart
        case "timeline": timeline
        case "cycleMaps": cycleMaps
        case "injuries": injuries
        case "are": are
        case "sessions": sessions
        case "notes": notes
        case "homework": homework
        case "measures": measures
        case "assignHomeworkHref": assignHomeworkHref
        case "newMeasureHref": newMeasureHref
        case "reportHref": reportHref
        case "portal": portal
        case "portalMeasures": portalMeasures
        case "careStatus": careStatus
        default: nil
        }
    }
}

extension ChartView.Link: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "href": href
        case "label": label
        default: nil
        }
    }
}

extension ChartView.Partner: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "detail": detail
        default: nil
        }
    }
}

extension ChartView.Goal: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "description": description
        case "status": status
        default: nil
        }
    }
}

extension ChartView.TimelineRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "date": date
        case "stage": stage
        case "step": step
        case "events": events
        case "href": href
        default: nil
        }
    }
}

extension ChartView.Field: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "value": value
        default: nil
        }
    }
}

extension ChartView.CycleVersion: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "version": version
        case "date": date
        case "position": position
        case "summary": summary
        default: nil
        }
    }
}

extension ChartView.CycleMap: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "partner": partner
        case "position": position
        case "fields": fields
        case "history": history
        case "headingID": headingID
        default: nil
        }
    }
}

extension ChartView.Injury: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "partner": partner
        case "description": description
        case "identified": identified
        case "status": status
        case "step": step
        case "resolved": resolved
        default: nil
        }
    }
}

extension ChartView.ARERow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "partner": partner
        case "date": date
        case "accessible": accessible
        case "responsive": responsive
        case "engaged": engaged
        default: nil
        }
    }
}

extension ChartView.SessionRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "when": when
        case "status": status
        case "format": format
        case "href": href
        default: nil
        }
    }
}

extension ChartView.NoteRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "when": when
        case "state": state
        case "author": author
        case "stageStep": stageStep
        case "risk": risk
        case "href": href
        default: nil
        }
    }
}

extension ChartView.Response: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "partner": partner
        case "completion": completion
        case "text": text
        case "sharing": sharing
        case "recorded": recorded
        default: nil
        }
    }
}

extension ChartView.Assignment: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "category": category
        case "who": who
        case "due": due
        case "status": status
        case "responses": responses
        default: nil
        }
    }
}

extension ChartView.MeasureRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "partner": partner
        case "baseline": baseline
        case "latest": latest
        case "change": change
        case "index": index
        case "meaning": meaning
        case "cutoff": cutoff
        default: nil
        }
    }
}

extension ChartView.Measure: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "heading": heading
        case "svg": svg
        case "rows": rows
        default: nil
        }
    }
}
