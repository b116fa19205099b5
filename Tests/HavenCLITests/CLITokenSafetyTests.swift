import Foundation
import HavenTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The session token and what the CLI prints, from an attacker's side: the token never follows a
/// redirect or goes through a proxy to this machine, a session file someone else could have written is
/// not used, a colleague's text cannot drive the reader's terminal, a mistyped name never travels in
/// a URL, and logging out forgets the token even when the server is down.
@Suite("The CLI's token and terminal, attacked", .needsTestDatabase, .needsHavenBinary)
struct CLITokenSafetyTests {
    /// A loopback HTTP server that records every request (path and Authorization header) in `log`
    /// and answers a redirect to its own `/leak` path (or, as a proxy would, 502).
    struct Recorder {
        let port: Int
        let log: String
        let pid: pid_t

        static let script = """
            import http.server, sys, socket
            port, log, mode, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
            class H(http.server.BaseHTTPRequestHandler):
                def handle_one(self):
                    with open(log, "a") as f:
                        f.write(self.command + " " + self.path + " " + str(self.headers.get("Authorization")) + "\\n")
                    if mode == "redirect" and not self.path.startswith("/leak"):
                        self.send_response(302)
                        self.send_header("Location", "http://127.0.0.1:%d/leak" % port)
                    else:
                        self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                do_GET = do_POST = do_DELETE = do_PUT = do_CONNECT = handle_one
                def log_message(self, *args): pass
            server = http.server.HTTPServer(("127.0.0.1", port), H)
            open(ready, "w").close()
            server.serve_forever()
            """

        static func start(mode: String, directory: String) async throws -> Recorder {
            let port = try HavenServer.freePort()
            let log = directory + "/recorder-\(port).log"
            let ready = log + ".ready"
            let pid = spawnProgram(
                "/usr/bin/python3",
                arguments: ["-c", script, "\(port)", log, mode, ready],
                outputPath: log + ".out"
            )
            let deadline = ContinuousClock.now + .seconds(20)
            while !FileManager.default.fileExists(atPath: ready) {
                guard ContinuousClock.now < deadline else { throw TestSetupError("the recorder did not start") }
                try await Task.sleep(for: .milliseconds(50))
            }
            return Recorder(port: port, log: log, pid: pid)
        }

        var requests: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        /// SIGKILL: the child inherits the test runner's signal mask, in which SIGTERM may be blocked.
        func stop() {
            kill(pid, SIGKILL)
            _ = waitForProgram(pid)
        }
    }

    /// Points the stored session at `server`.
    static func storeServer(_ server: String, in f: CLIFixture) throws {
        let path = f.configDirectory + "/session.json"
        var session = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        )
        session["server"] = server
        try JSONSerialization.data(withJSONObject: session).write(to: URL(fileURLWithPath: path))
    }

    @Test func theTokenNeverFollowsARedirect() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let recorder = try await Recorder.start(mode: "redirect", directory: f.directory)
            defer { recorder.stop() }
            try Self.storeServer("http://127.0.0.1:\(recorder.port)", in: f)
            let result = try f.run(["client", "list"])
            #expect(result.status == 2 && result.stderr.contains("answered with a redirect (302)"), "\(result)")
            // One request, to the server signed in to; nothing reached the place the redirect named.
            #expect(recorder.requests.count == 1 && !recorder.requests.contains { $0.contains("/leak") })
        }
    }

    @Test func aProxyInTheEnvironmentNeverSeesRequestsToThisMachine() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let proxy = try await Recorder.start(mode: "proxy", directory: f.directory)
            defer { proxy.stop() }
            let address = "http://127.0.0.1:\(proxy.port)"
            let result = try f.run(
                ["whoami"],
                extraEnvironment: ["http_proxy": address, "HTTP_PROXY": address, "ALL_PROXY": address]
            )
            #expect(result.status == 0 && result.stdout.contains("dana@harbor.example"), "\(result)")
            #expect(proxy.requests.isEmpty, "\(proxy.requests)")
        }
    }

    @Test func aSessionFileSomeoneElseCouldHaveWrittenIsNotUsed() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let path = f.configDirectory + "/session.json"
            chmod(path, 0o644)
            let open = try f.run(["client", "list"])
            #expect(open.status == 1 && open.stderr.contains("is not a private file of yours"), "\(open)")
            chmod(path, 0o600)
            #expect(try f.run(["client", "list"]).status == 0)
            // A symbolic link (to a file of the user's own, even) is not followed.
            let elsewhere = f.directory + "/planted.json"
            try FileManager.default.moveItem(atPath: path, toPath: elsewhere)
            symlink(elsewhere, path)
            let linked = try f.run(["client", "list"])
            #expect(linked.status == 1 && linked.stderr.contains("cannot be used"), "\(linked)")
        }
    }

    @Test func aColleaguesTextCannotDriveTheReadersTerminal() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let session = try f.ok(["session", "schedule", "--client", a, "--at", "2026-11-20T15:00"])
            try f.ok(["session", "complete", session])
            // Erase-line and clipboard (OSC 52) sequences inside a note body.
            let hostile = "Fictional note.\u{1B}[1A\u{1B}[2K\u{1B}]52;c;ZmljdGlvbmFs\u{07} End."
            let note = String(
                try f.ok(
                    ["note", "write", "--session", session, "--stage", "1", "--step", "1", "--risk", "none"],
                    stdin: hostile
                )
                .prefix(36)
            )
            let shown = try f.run(["note", "show", note])
            #expect(shown.status == 0 && shown.stdout.contains("Fictional note.") && shown.stdout.contains("End."))
            #expect(!shown.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
            // JSON keeps the text exactly (escaped), for scripts.
            let json = try f.run(["note", "show", note, "--json"])
            #expect(json.stdout.contains("\\u001b[2K") && !json.stdout.unicodeScalars.contains { $0.value == 0x1B })
        }
    }

    @Test func aNameTypedAsAnIdNeverLeavesThisMachine() async throws {
        try await CLIFixture.with { f in
            try f.login()
            // Nothing listens there: a request would be exit 2 ("cannot reach"); the local check is exit 1.
            try Self.storeServer("http://127.0.0.1:9", in: f)
            let result = try f.run(["client", "show", "Alex Morgan"])
            #expect(result.status == 1 && result.stderr.contains("is not a UUID or a prefix"), "\(result)")
        }
    }

    @Test func logoutForgetsTheTokenEvenWhenTheServerIsDown() async throws {
        try await CLIFixture.with { f in
            try f.login()
            try Self.storeServer("http://127.0.0.1:9", in: f)
            let result = try f.run(["logout"])
            #expect(result.status == 2 && result.stderr.contains("signed out here"), "\(result)")
            #expect(!FileManager.default.fileExists(atPath: f.configDirectory + "/session.json"))
        }
    }

    @Test func theEditorsScratchFileStaysInThePrivateConfigDirectory() async throws {
        try await CLIFixture.with { f in
            try f.login()
            let a = try f.ok(["client", "add", "--name", "Fictional A", "--intake", "2026-09-01"])
            let record = f.directory + "/editor-path.txt"
            let editor = f.directory + "/editor.sh"
            try "#!/bin/sh\nprintf '%s' \"$1\" > '\(record)'\nprintf 'Fictional goal.\\n' > \"$1\"\n"
                .write(toFile: editor, atomically: true, encoding: .utf8)
            chmod(editor, 0o755)
            let couple = try f.ok(
                [
                    "couple", "add", "--partner-a", a, "--partner-b",
                    try f.ok(["client", "add", "--name", "Fictional B", "--intake", "2026-09-01"]),
                ]
            )
            try f.ok(["goal", "add", "--couple", couple, "--edit"], environment: ["EDITOR": "/bin/sh " + editor])
            let scratch = try String(contentsOfFile: record, encoding: .utf8)
            #expect(scratch.hasPrefix(f.configDirectory + "/"), "\(scratch)")
            #expect(!FileManager.default.fileExists(atPath: scratch))
        }
    }
}
