import Testing

@testable import HavenReports

@Suite("One HTML escaper for pages, reports and charts")
struct HTMLEscapeTests {
    @Test func theFiveCharactersBecomeEntities() {
        #expect(
            HTMLEscape.text(#"<a href="x">Tom & Jerry's</a>"#)
                == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        )
    }

    @Test func textWithNothingToEscapeComesBackAsItIs() {
        let combined = "a\u{301}"
        for text in ["", "Avery Quinn", "Ünïcödé — 日本語 👩‍❤️‍👨", combined] {
            #expect(HTMLEscape.text(text) == text)
        }
    }

    /// To Swift, a quote followed by a combining mark is one `Character` that is not a quote; a
    /// browser still ends the attribute at the quote. An escaper that compares characters lets it
    /// through; this one must not.
    @Test(arguments: [("\"", "&quot;"), ("'", "&#39;"), ("<", "&lt;"), (">", "&gt;"), ("&", "&amp;")])
    func aMarkAfterTheCharacterDoesNotHideIt(_ character: String, _ entity: String) {
        let tail = "\u{301} onfocus=x"
        let escaped = HTMLEscape.text(character + tail)
        // Compared as bytes: to Swift's `String` comparison the quote and its mark are one character.
        #expect(Array(escaped.utf8) == Array((entity + tail).utf8))
    }

    @Test func chartsAndReportsUseIt() {
        let mark = "\u{301}"
        let svg = SVGChart.bars(id: "probe", title: "Quote\"\(mark) here", description: "<b>", bars: [])
        let escaped = "Quote&quot;\(mark) here"
        #expect(svg.contains(escaped))
        #expect(svg.contains("&lt;b&gt;"))
    }
}

@Suite("One Markdown escaper for reports and exports")
struct MarkdownEscapeTests {
    @Test func syntaxIsEscapedAndTheTextStaysOnOneLine() {
        #expect(MarkdownEscape.line("  - [a](b) *c*\r\nd") == #"\- \[a\](b) \*c\* d"#)
        #expect(MarkdownEscape.line("1. first") == #"1\. first"#)
        #expect(MarkdownEscape.line("a - b: c") == "a - b: c")
    }

    /// A `[` followed by a combining mark is one `Character` to Swift; a Markdown parser still opens
    /// a link at it.
    @Test func aMarkAfterABracketDoesNotHideIt() {
        let mark = "\u{301}"
        let escaped = MarkdownEscape.line("[\(mark)click](javascript:x)")
        let expected = #"\["# + mark + #"click\](javascript:x)"#
        #expect(Array(escaped.unicodeScalars) == Array(expected.unicodeScalars))
    }
}
