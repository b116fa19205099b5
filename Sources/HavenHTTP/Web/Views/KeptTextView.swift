/// A page that shows back what was written in a form Haven did not act on (`KeptText`).
struct KeptTextView {
    /// One written field: its element id, its name in words and the text as it arrived.
    struct Field {
        var id: String
        var label: String
        var text: String
    }

    var chrome: PageChrome
    var heading: String
    var message: String
    var advice: String
    var fields: [Field]
    /// Whether the page carries a sign-in form (the session is gone).
    var signIn: Bool
}
