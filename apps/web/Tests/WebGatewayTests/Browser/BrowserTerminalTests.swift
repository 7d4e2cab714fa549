import Foundation
import Platform
import PlatformTesting
import Testing

/// What the terminal's emulator (`jobs/terminal-screen.js`) draws for a program's output: the
/// output in chunks (a sequence may be split between two messages), a screen of `rows`×`cols`,
/// and the screen's rows after (trailing blanks cut) with the cursor's row and column.
struct ScreenCase: Sendable {
    let name: String
    var rows = 4
    var cols = 10
    let chunks: [String]
    let text: String
    let cursor: (row: Int, column: Int)

    static let esc = "\u{1B}"

    static let all: [ScreenCase] = {
        let e = esc
        return [
            ScreenCase(name: "text and CR LF", chunks: ["hello\r\nworld"], text: "hello\nworld\n\n", cursor: (1, 5)),
            ScreenCase(name: "autowrap", chunks: ["abcdefghijkl"], text: "abcdefghij\nkl\n\n", cursor: (1, 2)),
            ScreenCase(
                name: "a full row then CR LF: no blank row", chunks: ["abcdefghij\r\nx"], text: "abcdefghij\nx\n\n",
                cursor: (1, 1)),
            ScreenCase(name: "backspace overwrites", chunks: ["abc\u{8}\u{8}X"], text: "aXc\n\n\n", cursor: (0, 2)),
            ScreenCase(name: "tab", cols: 20, chunks: ["a\tb"], text: "a       b\n\n\n", cursor: (0, 9)),
            ScreenCase(name: "BEL prints nothing", chunks: ["a\u{7}b"], text: "ab\n\n\n", cursor: (0, 2)),
            ScreenCase(name: "CUP", chunks: ["\(e)[2;3Hx"], text: "\n  x\n\n", cursor: (1, 3)),
            ScreenCase(
                name: "CUU CUD CUF CUB", chunks: ["\(e)[3;5H\(e)[2Aa\(e)[Bb\(e)[3Cc\(e)[6Dd"],
                text: "    a\n   d b   c\n\n", cursor: (1, 4)),
            ScreenCase(name: "CHA and VPA", chunks: ["abc\(e)[1Gx\(e)[3dy"], text: "xbc\n\n y\n", cursor: (2, 2)),
            ScreenCase(name: "EL 0", chunks: ["abcdef\(e)[3D\(e)[K"], text: "abc\n\n\n", cursor: (0, 3)),
            ScreenCase(name: "EL 1", chunks: ["abcdef\(e)[3D\(e)[1K"], text: "    ef\n\n\n", cursor: (0, 3)),
            ScreenCase(name: "EL 2", chunks: ["abcdef\(e)[3D\(e)[2K"], text: "\n\n\n", cursor: (0, 3)),
            ScreenCase(name: "ED 0", chunks: ["ab\r\ncd\r\nef\(e)[2;2H\(e)[J"], text: "ab\nc\n\n", cursor: (1, 1)),
            ScreenCase(name: "ED 1", chunks: ["ab\r\ncd\r\nef\(e)[2;1H\(e)[1J"], text: "\n d\nef\n", cursor: (1, 0)),
            ScreenCase(name: "ED 2 (clear)", chunks: ["ab\r\ncd\(e)[2J"], text: "\n\n\n", cursor: (1, 2)),
            ScreenCase(name: "ICH", chunks: ["abcdef\r\(e)[2@"], text: "  abcdef\n\n\n", cursor: (0, 0)),
            ScreenCase(name: "DCH", chunks: ["abcdef\r\(e)[2P"], text: "cdef\n\n\n", cursor: (0, 0)),
            ScreenCase(name: "ECH", chunks: ["abcdef\r\(e)[2X"], text: "  cdef\n\n\n", cursor: (0, 0)),
            ScreenCase(name: "IL", chunks: ["1\r\n2\r\n3\(e)[2;1H\(e)[L"], text: "1\n\n2\n3", cursor: (1, 0)),
            ScreenCase(name: "DL", chunks: ["1\r\n2\r\n3\(e)[1;1H\(e)[M"], text: "2\n3\n\n", cursor: (0, 0)),
            ScreenCase(name: "scrolling", rows: 3, chunks: ["1\r\n2\r\n3\r\n4"], text: "2\n3\n4", cursor: (2, 1)),
            ScreenCase(
                name: "scroll region", chunks: ["top\(e)[4;1Hbottom\(e)[2;3r\(e)[2;1Hx\r\ny\r\nz"],
                text: "top\ny\nz\nbottom", cursor: (2, 1)),
            ScreenCase(
                name: "reverse index at the top scrolls down", chunks: ["a\(e)Mb"], text: " b\na\n\n", cursor: (0, 2)),
            ScreenCase(name: "ESC D and ESC E", chunks: ["a\(e)Db\(e)Ec"], text: "a\n b\nc\n", cursor: (2, 1)),
            ScreenCase(
                name: "ESC 7 and ESC 8", chunks: ["ab\(e)7\(e)[3;3Hx\(e)8c"], text: "abc\n\n  x\n", cursor: (0, 3)),
            ScreenCase(
                name: "CSI s and CSI u", chunks: ["ab\(e)[s\(e)[3;3Hx\(e)[uc"], text: "abc\n\n  x\n", cursor: (0, 3)),
            ScreenCase(
                name: "alternate screen 1049", chunks: ["main\(e)[?1049h\(e)[HALT", "\(e)[?1049l!"],
                text: "main!\n\n\n", cursor: (0, 5)),
            ScreenCase(
                name: "alternate screen 47", chunks: ["main\(e)[?47hALT\(e)[?47l"], text: "main\n\n\n", cursor: (0, 7)),
            ScreenCase(
                name: "SGR and DECSET 25 draw nothing", chunks: ["\(e)[1;31mR\(e)[0;7mI\(e)[38;5;196mX\(e)[m\(e)[?25l"],
                text: "RIX\n\n\n", cursor: (0, 3)),
            ScreenCase(
                name: "OSC to BEL and to ST", chunks: ["\(e)]0;title\u{7}ok\(e)]2;t\(e)\\!"], text: "ok!\n\n\n",
                cursor: (0, 3)),
            ScreenCase(
                name: "unknown sequences print nothing",
                chunks: ["\(e)[?1000hA\(e)[5nB\(e)Pqdata\(e)\\C\(e)(BD\(e)=E\(e)[>c\(e)#8F"], text: "ABCDEF\n\n\n",
                cursor: (0, 6)),
            ScreenCase(
                name: "a sequence split between messages", chunks: ["ab\(e)", "[", "1;", "5Hx"], text: "ab  x\n\n\n",
                cursor: (0, 5)),
            ScreenCase(name: "UTF-8", chunks: ["héllo ✓"], text: "héllo ✓\n\n\n", cursor: (0, 7)),
            ScreenCase(name: "wide characters take two columns", chunks: ["日本x"], text: "日本x\n\n\n", cursor: (0, 5)),
            ScreenCase(name: "DEC line drawing", chunks: ["\(e)(0lqk\(e)(Bq"], text: "┌─┐q\n\n\n", cursor: (0, 4)),
            ScreenCase(
                name: "positions are clamped", chunks: ["\(e)[999;999Hz"], text: "\n\n\n         z", cursor: (3, 9)),
            ScreenCase(
                name: "markup is text", cols: 40, chunks: ["<b>x</b>&amp;"], text: "<b>x</b>&amp;\n\n\n",
                cursor: (0, 13)),
        ]
    }()
}

extension BrowserTests {
    @Test("the terminal's emulator draws each case's output as a VT100 does")
    func terminalScreen() async throws {
        let site = try site
        let cases = ScreenCase.all
        try await withBrowser { browser in
            try await browser.goAndWait(site.gatewayURL + "/signin")
            let answer = try await browser.executeAsync(
                "const [cases, done] = arguments;"
                    + " import('/static/jobs/terminal-screen.js').then(({TerminalScreen}) => done(cases.map("
                    + " ([rows, cols, chunks]) => { const screen = new TerminalScreen(rows, cols);"
                    + " for (const chunk of chunks) screen.write(chunk); return [screen.text(), screen.y, screen.x]; })),"
                    + " (error) => done(String(error)))",
                [
                    .array(
                        cases.map {
                            [.int(Int64($0.rows)), .int(Int64($0.cols)), .array($0.chunks.map { .string($0) })]
                        })
                ])
            let results = try #require(answer.arrayValue, "\(answer.jsonText)")
            #expect(results.count == cases.count)
            for (screenCase, result) in zip(cases, results) {
                let expected: JSONValue = [
                    .string(screenCase.text), .int(Int64(screenCase.cursor.row)), .int(Int64(screenCase.cursor.column)),
                ]
                #expect(result == expected, "\(screenCase.name): \(result.jsonText)")
            }
        }
    }

    @Test("the terminal's emulator: scrollback, resizing, modes the keys and paste follow, what keys send")
    func terminalScreenState() async throws {
        let site = try site
        try await withBrowser { browser in
            try await browser.goAndWait(site.gatewayURL + "/signin")
            let answer = try await browser.executeAsync(
                #"""
                const done = arguments[arguments.length - 1];
                Promise.all([import('/static/jobs/terminal-screen.js'), import('/static/jobs/terminal-keys.js')])
                  .then(([{TerminalScreen, ATTR}, {keySequence, pasteSequence}]) => {
                    const screen = new TerminalScreen(3, 10, {scrollback: 10});  // at least 2000 are kept
                    for (let n = 1; n <= 2500; n += 1) screen.write(`${n}\r\n`);
                    const kept = [screen.scrollback.length, screen.scrollback[0].text(), screen.scrollback.at(-1).text()];
                    const small = new TerminalScreen(4, 10);
                    small.write('a\r\nb\r\nc\r\nd');
                    small.resize(2, 6);
                    const resized = [small.text(), small.y, small.scrollback.map((line) => line.text()).join(',')];
                    small.resize(3, 8);
                    const grown = [small.text(), small.lines[0].length];
                    // Narrower and back: rows not written to meanwhile get their cells back.
                    const turned = new TerminalScreen(2, 10);
                    turned.write('abcdefghij\r\nklmnopqrst');
                    turned.resize(2, 4);
                    turned.write('\x1b[1;1HX');
                    turned.resize(2, 10);
                    grown.push(turned.text());
                    const modes = new TerminalScreen(4, 10);
                    modes.write('\x1b[?1h\x1b[?2004h\x1b[1;31mR');
                    const attr = modes.lines[0].attrs[0];
                    const state = [modes.applicationCursor, modes.bracketedPaste, (attr & ATTR.FG) === 2,
                      Boolean(attr & ATTR.BOLD)];
                    modes.write('\x1b[?1l\x1b[?2004l\x1b[?25l');
                    state.push(modes.applicationCursor, modes.bracketedPaste, modes.cursorVisible);
                    const key = (fields, options) => keySequence({ctrlKey: false, altKey: false, metaKey: false,
                      shiftKey: false, ...fields}, options);
                    const keys = [key({key: 'Enter'}), key({key: 'Backspace'}), key({key: 'Tab'}),
                      key({key: 'c', ctrlKey: true}), key({key: 'd', ctrlKey: true}), key({key: 'ArrowUp'}),
                      key({key: 'ArrowLeft'}, {applicationCursor: true}), key({key: 'Home'}), key({key: 'End'}),
                      key({key: 'Delete'}), key({key: 'x'}), key({key: 'é'}), key({key: 'b', altKey: true}),
                      key({key: 'v', ctrlKey: true}), key({key: 'Shift'}), key({key: 'a', metaKey: true}),
                      key({key: 'a', isComposing: true})];
                    const pastes = [pasteSequence('a\nb\r\nc'), pasteSequence('x\n', {bracketed: true})];
                    done({kept, resized, grown, state, keys, pastes});
                  }, (error) => done(String(error)));
                """#)
            #expect(answer["kept"] == [2000, "499", "2498"], "\(answer.jsonText)")
            // Two rows of four: the rows above the cursor go to the scrollback, columns are cut.
            #expect(answer["resized"] == ["c\nd", 1, "a,b"], "\(answer.jsonText)")
            #expect(answer["grown"] == ["c\nd\n", 8, "Xbcd\nklmnopqrst"], "\(answer.jsonText)")
            #expect(answer["state"] == [true, true, true, true, false, false, false], "\(answer.jsonText)")
            #expect(
                answer["keys"] == [
                    "\r", "\u{7F}", "\t", "\u{3}", "\u{4}", "\u{1B}[A", "\u{1B}OD", "\u{1B}[H", "\u{1B}[F", "\u{1B}[3~",
                    "x", "é", "\u{1B}b", nil, nil, nil, nil,
                ], "\(answer.jsonText)")
            #expect(answer["pastes"] == ["a\rb\rc", "\u{1B}[200~x\r\u{1B}[201~"], "\(answer.jsonText)")
        }
    }

    @Test("the terminal view: output drawn as text in rows sized to its box, keys typed sent as a terminal sends them")
    func terminalView() async throws {
        let site = try site
        try await withBrowser { browser in
            try await browser.goAndWait(site.gatewayURL + "/signin")
            // The view alone in a page, its input and sizes recorded instead of sent to a shell.
            let size = try await browser.executeAsync(
                #"""
                const done = arguments[arguments.length - 1];
                import('/static/jobs/terminal-view.js').then(({terminalView}) => {
                  window.sent = [];
                  window.sizes = [];
                  const view = terminalView({onInput: (text) => window.sent.push(text),
                    onResize: (rows, cols) => window.sizes.push([rows, cols])});
                  document.querySelector('#main').replaceChildren(view.element);
                  view.fit();
                  view.write('\x1b[1;32mme@node\x1b[0m:\x1b[1;34m/job\x1b[0m$ ls --color\r\n'
                    + '\x1b[0m\x1b[01;34mdata\x1b[0m  \x1b[01;32mrun.sh\x1b[0m  notes.txt  \x1b[7m inverse \x1b[0m\r\n'
                    + '\x1b[1;32mme@node\x1b[0m:\x1b[1;34m/job\x1b[0m$ echo \'<img src=x onerror=alert(1)>\'\r\n'
                    + '<img src=x onerror=alert(1)>\r\n\x1b[1;32mme@node\x1b[0m:\x1b[1;34m/job\x1b[0m$ ');
                  view.focus();
                  requestAnimationFrame(() => done([view.screen.rows, view.screen.cols]));
                }, (error) => done(String(error)));
                """#)
            let rows = try #require(size.arrayValue?.first?.intValue, "\(size.jsonText)")
            let cols = try #require(size.arrayValue?.last?.intValue, "\(size.jsonText)")
            #expect(rows >= 12 && cols >= 100, "\(size.jsonText)")
            #expect(try await browser.execute("return window.sizes.at(-1)") == size)
            #expect(try await browser.find("#terminal").attribute("data-cols") == String(cols))
            // Output is text: the markup printed makes no element.
            #expect(try await browser.count("#terminal img") == 0)
            let screen = try await browser.execute(
                "return [...document.querySelectorAll('#terminal .term-row')].map((row) => row.textContent.trimEnd())")
            #expect(screen.arrayValue?[3] == "<img src=x onerror=alert(1)>", "\(screen.jsonText)")
            #expect(try await browser.count("#terminal .term-row") == Int(rows))

            // Keys as chromedriver types them (a real keydown each): text, Backspace, Enter, an
            // arrow, Ctrl-C (the Control key is held from its first press to its second).
            let keys = try await browser.find("#terminal-keys")
            try await keys.type("ls -l\u{E003}a\u{E007}\u{E013}\u{E009}c\u{E009}")
            let sent = try await browser.execute("return window.sent.join('')")
            #expect(sent == "ls -l\u{7F}a\r\u{1B}[A\u{3}", "\(sent.jsonText)")
            try await browser.screenshot("terminal-view")

            try await browser.resize(width: 390, height: 844)
            try await browser.wait(until: "return window.sizes.length > 1 && window.sizes.at(-1)[1] < 60")
            #expect(try await browser.fitsWidth())
            try await browser.screenshot("terminal-view-phone")
        }
    }

    @Test(
        "a terminal session opened through the form: commands typed in the page run on the dataset, the session ends with exit, its /output is the run's"
    )
    func terminalSession() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let token = jobs.owner.token
        // A final dataset version holding rows.csv: a header and three rows, four lines.
        let dataset = try await site.data(
            "POST", "/v1/projects/\(jobs.project)/datasets", ["name": "rows"], token: token)
        let version = try await site.data(
            "POST", "/v1/datasets/\(dataset["id"]?.stringValue ?? "")/versions", [:], token: token)
        let versionID = try #require(version["id"]?.stringValue)
        let put = try await httpSend(
            site.platform.dataURL + "/v1/dataset-versions/\(versionID)/files/rows.csv", "PUT",
            bytes: Data("x,y\n1,2\n3,4\n5,6\n".utf8), token: token)
        try #require(put.status < 300, "\(put.body.jsonText)")
        try await site.data("POST", "/v1/dataset-versions/\(versionID)/finalize", token: token)

        let jobID = try await withBrowser { browser in
            try await site.signIn(
                browser, email: jobs.owner.email, next: "/jobs/new?projectId=\(jobs.project)%26kind=terminal")
            #expect(try await browser.find("#terminal-template").property("value") == "python-cpu")
            try await browser.find(".job-input[value='\(versionID)']").click()
            try await browser.find("#job-cpus").type("0.25")
            try await browser.find("#job-memorymb").type("128")
            // Idle minutes outside 1…10080: refused beside the field, nothing sent.
            try await browser.find("#terminal-idle").type("0")
            try await browser.find("#terminal-submit").click()
            #expect(
                try await browser.find(".field-error[data-error-for='endpoint.idleSeconds']").text().contains(
                    "endpoint.idleSeconds"))
            try await browser.screenshot("terminal-form-error")
            try await browser.find("#terminal-idle").clear()
            try await browser.find("#terminal-idle").type("5")
            try await browser.find("#terminal-submit").click()
            try await browser.wait(
                until:
                    "return /^\\/jobs\\/[^/]+\\/terminal$/.test(location.pathname) && document.body.dataset.ready === 'true'",
                seconds: 30)
            let jobID = String(try await browser.currentURL().split(separator: "/").dropLast().last ?? "")
            let submitted = try await jobs.job(jobID)
            #expect(submitted["spec"]?["endpoint"]?["kind"] == "terminal", "\(submitted.jsonText)")
            #expect(submitted["spec"]?["endpoint"]?["idleSeconds"] == 300)
            #expect(submitted["spec"]?["inputs"] == [.string(versionID)])
            #expect(submitted["spec"]?["command"] == nil)

            // Starting, then connected: the shell's prompt is on the screen.
            try await browser.wait(
                until: "return document.querySelector('#terminal-status').dataset.status === 'connected'", seconds: 90)
            try await browser.waitForScreen { $0.contains { $0.contains("$") || $0.contains("#") } }
            let keys = try await browser.find("#terminal-keys")
            try await keys.type("wc -l < /data/rows.csv > /output/lines.txt; echo done-$((6*7))\u{E007}")
            try await browser.waitForScreen { $0.contains("done-42") }
            // A failing command's message and status.
            try await keys.type("ls /no-such-dir; echo status-$?\u{E007}")
            try await browser.waitForScreen { $0.contains("status-2") }
            #expect(try await browser.screenRows().contains { $0.contains("No such file or directory") })
            // Backspace edits the line: the X is gone before Enter; then the arrow brings the line back.
            try await keys.type("echo abX\u{E003}c\u{E007}")
            try await browser.waitForScreen { $0.contains("abc") }
            try await keys.type("\u{E013}\u{E007}")
            try await browser.waitForScreen { $0.filter { $0 == "abc" }.count == 2 }
            #expect(try await !browser.screenRows().contains { $0.contains("abX") })
            // The shell's size is the box's (set_size on open).
            try await keys.type("stty size\u{E007}")
            let rows = try #require(try await browser.find("#terminal").attribute("data-rows"))
            let cols = try #require(try await browser.find("#terminal").attribute("data-cols"))
            try await browser.waitForScreen { $0.contains("\(rows) \(cols)") }
            try await browser.screenshot("terminal-session")

            // A phone: the box gets narrower (set_size again), a line is sent from the line box.
            try await browser.resize(width: 390, height: 844)
            try await browser.wait(until: "return Number(document.querySelector('#terminal').dataset.cols) < 60")
            let phoneRows = try #require(try await browser.find("#terminal").attribute("data-rows"))
            let phoneCols = try #require(try await browser.find("#terminal").attribute("data-cols"))
            try await browser.find("#terminal-line").type("stty size")
            try await browser.find("#terminal-line-send").click()
            try await browser.waitForScreen { $0.contains("\(phoneRows) \(phoneCols)") }
            #expect(try await browser.fitsWidth())
            try await browser.screenshot("terminal-session-phone")
            try await browser.resize(width: 1280, height: 800)

            try await keys.type("exit\u{E007}")
            try await browser.wait(
                until: "return document.querySelector('#terminal-status').dataset.status === 'ended'", seconds: 30)
            try await browser.wait(
                until: "return document.querySelector('#terminal-state').dataset.state === 'succeeded'"
                    + " && !!document.querySelector('#terminal-outputs a.download')", seconds: 30)
            #expect(
                try await browser.find("#terminal-run-link").attribute("href")
                    == "/runs/\(submitted["runId"]?.stringValue ?? "")")
            #expect(try await browser.execute("return document.body.dataset.openSockets") == "0")
            let href = try #require(
                try await browser.find("#terminal-outputs a.download[data-name='lines.txt']").attribute("href"))
            let downloaded = try await browser.executeAsync(
                "const done = arguments[arguments.length - 1];"
                    + " fetch(arguments[0]).then((r) => r.text()).then(done, (e) => done('failed: ' + e))",
                [.string(href)])
            #expect(downloaded.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) == "4")
            try await browser.screenshot("terminal-ended")

            // The job page opens the terminal instead of showing the raw endpoint.
            try await browser.goAndWait(site.gatewayURL + "/jobs/\(jobID)")
            #expect(try await browser.find("#job-open-terminal").attribute("href") == "/jobs/\(jobID)/terminal")
            #expect(try await browser.count("#job-endpoint") == 0)
            try await browser.screenshot("terminal-job-page")
            return jobID
        }
        // The API agrees: the session succeeded, and its run holds what the shell wrote to /output.
        let ended = try await jobs.job(jobID)
        #expect(ended["state"] == "succeeded", "\(ended.jsonText)")
        let runID = try #require(ended["runId"]?.stringValue)
        let files = try await site.data("GET", "/v1/runs/\(runID)/files?prefix=outputs/", token: token)
        let lines = files["items"]?.arrayValue?.first { $0["path"] == "outputs/lines.txt" }
        #expect(lines?["size"] == 2, "\(files.jsonText)")
    }
}

extension WebDriver {
    /// The terminal's rows (scrollback, then the screen), each without its trailing blanks.
    func screenRows() async throws -> [String] {
        let rows = try await execute(
            "return [...document.querySelectorAll('#terminal .term-line, #terminal .term-row')]"
                + ".map((row) => row.textContent.trimEnd())")
        return (rows.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Waits (up to 30 s) until the terminal's rows satisfy `check`.
    func waitForScreen(_ check: @Sendable ([String]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if check(try await screenRows()) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(error: "timeout", message: "the terminal never showed it: \(try await screenRows())")
    }
}
