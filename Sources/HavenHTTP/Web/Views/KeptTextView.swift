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
    /// The sign-in form the page carries (the session is gone), or nil.
    var signIn: SignIn?

    /// A sign-in form: where it posts and what its secret is called (staff password, partner passphrase).
    struct SignIn {
        var action: String
        var secretName: String
        var secretLabel: String

        static let staff = SignIn(action: "/sign-in", secretName: "password", secretLabel: "Password")
        static let portal = SignIn(action: "/portal/sign-in", secretName: "passphrase", secretLabel: "Passphrase")
    }
}
