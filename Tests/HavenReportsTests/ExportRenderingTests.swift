import Foundation
import HavenReports
import HavenService
import Testing

/// The readable forms of a client export, with fake data: every user string escaped in HTML (a
/// `<script>` in a note is inert text), and Markdown structure not injectable by user text.
@Suite("Client export: Markdown and HTML")
struct ExportRenderingTests {
    static let hostile =
        "# Heading\n<script>alert(1)</script> & \"x\"\n- item\n1. one\n    code\n> quote\n[link](http://x)"

    /// A fake export whose free text is `text` everywhere there is free text.
    static func export(_ text: String) throws -> ClientExport {
        let quoted = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
        let a = "00000000-0000-4000-8000-00000000000a"
        let b = "00000000-0000-4000-8000-00000000000b"
        let couple = "00000000-0000-4000-8000-0000000000c0"
        let staff = "00000000-0000-4000-8000-0000000000f0"
        let session = "00000000-0000-4000-8000-0000000000e0"
        let json = """
            {"format": "haven-client-export-v1", "generatedAt": "2026-12-01T10:00:00Z",
             "client": {"id": "\(a)", "legalName": \(quoted), "intakeDate": "2026-09-01", "status": "active",
                        "primaryCounselorID": "\(staff)"},
             "couples": [{"id": "\(couple)", "partnerAID": "\(a)", "partnerBID": "\(b)", "counselorID": "\(staff)",
                          "startDate": "2026-09-01", "status": "active", "presentingConcerns": \(quoted)}],
             "sessions": [{"id": "\(session)", "chartKind": "couple", "chartID": "\(couple)", "counselorID": "\(staff)",
                           "scheduledStart": "2026-11-20T15:00:00Z", "durationMinutes": 50, "format": "in_person",
                           "sessionType": "conjoint", "serviceCode": "90847", "status": "completed",
                           "attendeeIDs": ["\(a)", "\(b)"]}],
             "progressNotes": [{"id": "00000000-0000-4000-8000-0000000000d0", "sessionID": "\(session)",
                                "authorID": "\(staff)", "state": "signed", "stage": 1, "step": 2,
                                "interventions": [], "tangoMoves": [], "changeEvents": [], "riskLevel": "none",
                                "body": \(quoted), "signedAt": "2026-11-20T17:00:00Z",
                                "addenda": [{"id": "00000000-0000-4000-8000-0000000000d1", "authorID": "\(staff)",
                                             "createdAt": "2026-11-21T09:00:00Z", "reason": \(quoted),
                                             "body": \(quoted)}],
                                "cosignedBy": []}],
             "homework": [], "measures": [], "areRatings": [], "cycleMaps": [],
             "attachmentInjuries": [{"id": "00000000-0000-4000-8000-0000000000b1", "coupleID": "\(couple)",
                                     "injuredPartnerID": "\(b)", "description": \(quoted),
                                     "identifiedOn": "2026-10-01", "status": "open", "resolutionStep": 0}],
             "treatmentGoals": [{"id": "00000000-0000-4000-8000-0000000000b2", "coupleID": "\(couple)",
                                 "description": \(quoted), "status": "active"}],
             "exclusions": ["Draft progress notes are not part of the record until they are signed."],
             "unreadableValues": []}
            """
        return try ClientExport.decoder.decode(ClientExport.self, from: Data(json.utf8))
    }

    @Test func htmlEscapesEveryUserString() throws {
        let html = ExportHTMLRenderer.render(try Self.export(Self.hostile))
        #expect(!html.contains("<script"), "a script in user text must come out inert")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        #expect(!html.contains("<a ") && !html.contains("href"))
        #expect(html.contains("<h1>Records export: # Heading"))
        #expect(html.contains("90847") && html.contains("conjoint"), "a session's type and service code are shown")
        for section in ["Left out of this export", "Couples", "Sessions", "Progress notes", "Attachment injuries"] {
            #expect(html.contains("<h2>\(section)</h2>"), "missing \(section)")
        }
        #expect(html.contains("Draft progress notes are not part of the record"))
        #expect(html.contains("2026-12-01T10:00:00Z"))
    }

    @Test func markdownUserTextCannotOpenStructure() throws {
        let markdown = ExportMarkdownRenderer.render(try Self.export(Self.hostile))
        let lines = markdown.split(separator: "\n").map(String.init)
        // The only headings are the renderer's own: the title, sections and entries.
        let headings = lines.filter { $0.hasPrefix("#") }
        #expect(headings.first?.hasPrefix(##"# Records export: \# Heading \<script\>alert(1)\</script\>"##) == true)
        #expect(headings.allSatisfy { $0.hasPrefix("# Records export") || $0.hasPrefix("## ") || $0.hasPrefix("### ") })
        #expect(!headings.contains { $0.hasPrefix("## ") && $0.contains("Heading") })
        // User lines start escaped: no heading, list, quote, ordered list, code block or raw HTML.
        #expect(lines.contains("\\# Heading  ") && lines.contains("\\- item  ") && lines.contains("1\\. one  "))
        #expect(lines.contains("code  ") && lines.contains("\\> quote  ") && lines.contains("\\[link\\](http://x)  "))
        #expect(!lines.contains { $0.hasPrefix("<script") || $0.hasPrefix("    ") || $0.hasPrefix("> ") })
        #expect(markdown.contains("## Left out of this export"))
    }
}
