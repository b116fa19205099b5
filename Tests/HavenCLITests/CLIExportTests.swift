import Foundation
import HavenService
import HavenTestSupport
import Testing

/// `haven export review` and `haven export client --format md|html`: what concerns the other
/// partner listed without its text; the readable forms written 0600, escaped.
@Suite("The CLI: export review and readable exports", .needsTestDatabase, .needsHavenBinary)
struct CLIExportTests {
    @Test func reviewListsWhatConcernsThePartnerAndTheReadableFormsAreEscaped() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional Alex", "--intake", "2026-09-01"])
            let b = try f.ok(["client", "add", "--name", "Fictional Sam", "--intake", "2026-09-01"])
            let couple = try f.ok(["couple", "add", "--partner-a", a, "--partner-b", b, "--start", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--couple", couple, "--at", "2026-11-20T15:00"])
            try f.ok(["session", "complete", session])
            let note = String(
                try f.ok(
                    [
                        "note", "write", "--session", session, "--stage", "1", "--step", "2", "--risk", "none",
                        "--file", "-",
                    ],
                    stdin: "# Fictional heading\n<script>alert(1)</script> REVIEW-SENTINEL"
                ).prefix(36)
            )
            try f.ok(["note", "sign", note])

            let review = try f.run(["export", "review", a])
            #expect(review.status == 0, "\(review)")
            #expect(review.stdout.contains("conjoint session note 2026-11-20"), "\(review)")
            #expect(review.stdout.contains(String(note.prefix(8))) && review.stdout.contains(String(b.prefix(8))))
            #expect(!review.stdout.contains("REVIEW-SENTINEL"))
            let json = try f.json(["export", "review", a], as: ExportReview.self)
            #expect(json.items.contains { $0.kind == .conjointNote && $0.partnerID.uuidString.lowercased() == b })
            let solo = try f.ok(["client", "add", "--name", "Fictional Solo", "--intake", "2026-09-01"])
            #expect(try f.ok(["export", "review", solo]).contains("Nothing in this export concerns another partner"))

            let html = f.directory + "/alex.html"
            #expect(try f.ok(["export", "client", a, "--out", html]).contains("(html)"))
            #expect(try FileManager.default.posixPermissions(ofItemAtPath: html) == 0o600)
            let page = try String(contentsOfFile: html, encoding: .utf8)
            #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("Records export: Fictional Alex"))
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>"))
            let md = f.directory + "/alex-records"
            try f.ok(["export", "client", a, "--out", md, "--format", "md"])
            let markdown = try String(contentsOfFile: md, encoding: .utf8)
            #expect(
                markdown.hasPrefix("# Records export: Fictional Alex") && markdown.contains("\\# Fictional heading")
            )
            let json2 = f.directory + "/alex-json"
            try f.ok(["export", "client", a, "--out", json2])
            #expect(try String(contentsOfFile: json2, encoding: .utf8).contains("haven-client-export-v1"))

            for (arguments, expected) in [
                (["--out", f.directory + "/x.pdf"], "not an export format; name the file .json, .md or .html"),
                (["--out", f.directory + "/x.html", "--format", "md"], "a html file, but --format is md"),
                (
                    ["--out", f.directory + "/x.json", "--format", "pdf"],
                    "--format: 'pdf' is not one of: json, md, html"
                ),
            ] {
                let refused = try f.run(["export", "client", a] + arguments)
                #expect(refused.status == 1 && refused.stderr.contains(expected), "\(refused)")
            }
            #expect(!FileManager.default.fileExists(atPath: f.directory + "/x.pdf"))
        }
    }
}
