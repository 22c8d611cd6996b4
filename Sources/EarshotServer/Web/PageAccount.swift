import EarshotCore

/// What every page's header says about the caller: the server's mode and the session's CSRF token
/// (as `<meta>` for the scripts), and who is signed in with a way to sign out.
struct PageAccount {
    var accountsOn: Bool
    var username: String?
    var role: String?
    var csrfToken: String?
    /// Users and Settings are in the navigation only for those who may open them.
    var isAdmin: Bool

    init(context: EarshotRequestContext, gate: AccountGate) {
        accountsOn = !gate.isOpen
        username = context.principal.user?.username
        role = context.principal.user?.role.rawValue
        csrfToken = context.session?.csrfToken
        isAdmin = context.principal.has(.admin)
    }

    /// The navigation entries for admins; `template` marks the current page.
    func adminNavHTML(current template: String) -> String {
        guard isAdmin else { return "" }
        return [("users", "/users", "Users"), ("settings", "/settings", "Settings")].map { name, path, label in
            "<li><a href=\"\(path)\"\(template == name ? " aria-current=\"page\"" : "")>\(label)</a></li>"
        }.joined(separator: "\n      ")
    }

    var headHTML: String {
        var html = "<meta name=\"earshot-mode\" content=\"\(accountsOn ? "accounts" : "open")\">"
        if let csrfToken { html += "\n<meta name=\"earshot-csrf\" content=\"\(HTMLText.escape(csrfToken))\">" }
        return html
    }

    var headerHTML: String {
        guard let username else { return "" }
        return """
          <div class="account"><a href="/account">\(HTMLText.escape(username))</a> <small>(\(HTMLText.escape(role ?? "")))</small>\
         <button type="button" id="sign-out" class="secondary">Sign out</button></div>
        """
    }
}

/// The sign-in page: a form, and the first admin's form while the setup token is unused.
struct LoginView {
    var next: String
    var setupPending: Bool
    var open: Bool
}
