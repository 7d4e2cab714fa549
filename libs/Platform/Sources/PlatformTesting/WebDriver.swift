import AsyncHTTPClient
import Foundation
import NIOCore
import Platform

/// A small client of the W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/), spoken
/// over HTTP to Debian's `chromedriver`, which drives Debian's `chromium` headless. No Selenium,
/// no downloaded browser: the JSON calls are few enough to make here.
public struct WebDriver: Sendable {
    /// A started `chromedriver`, shared by the test process and stopped by pid at its exit.
    public static let driver = Result { () throws -> String in
        let binary = "/usr/bin/chromedriver"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw WebDriver.Failure(
                error: "setup", message: "\(binary) is missing: run `make deps` (Debian's chromium-driver)")
        }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        stopAtExit(process.processIdentifier)
        for _ in 0..<300 {
            if let socket = connectLoopback(port) {
                close(socket)
                return "http://127.0.0.1:\(port)"
            }
            usleep(100_000)
        }
        throw WebDriver.Failure(error: "setup", message: "chromedriver did not listen on \(port)")
    }

    public static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    public struct Failure: Error, CustomStringConvertible {
        public let error: String
        public let message: String
        public var description: String { "WebDriver \(error): \(message)" }

        public init(error: String, message: String) {
            self.error = error
            self.message = message
        }
    }

    public let base: String

    /// A new headless Chromium session with a `width`×`height` viewport (under 500 px wide, a
    /// phone's, emulated); `downloads` is where it saves downloaded files.
    public static func session(width: Int = 1280, height: Int = 800, downloads: URL? = nil) async throws -> WebDriver {
        let driver = try driver.get()
        var options: [String: JSONValue] = [
            "binary": "/usr/bin/chromium",
            "args": .array(
                [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=\(width),\(height)",
                    "--disable-dev-shm-usage",
                ].map(JSONValue.string)),
        ]
        if width < 500 {
            // Chromium's windows are at least 500 px wide; a phone's viewport is emulated instead.
            options["mobileEmulation"] = [
                "deviceMetrics": ["width": .int(Int64(width)), "height": .int(Int64(height)), "pixelRatio": 1]
            ]
        }
        if let downloads {
            options["prefs"] = [
                "download.default_directory": .string(downloads.path), "download.prompt_for_download": false,
            ]
        }
        let answer = try await call(
            driver + "/session", "POST",
            ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": .object(options)]]])
        guard let id = answer["sessionId"]?.stringValue else {
            throw Failure(error: "session not created", message: answer.jsonText)
        }
        let session = WebDriver(base: driver + "/session/" + id)
        // Finding an element waits up to 15 s for it to appear: pages draw after their fetches.
        try await session.send("POST", "/timeouts", ["implicit": 15000, "script": 30000, "pageLoad": 30000])
        return session
    }

    public func quit() async {
        _ = try? await send("DELETE", "")
    }

    public func go(_ url: String) async throws {
        try await send("POST", "/url", ["url": .string(url)])
    }

    public func currentURL() async throws -> String {
        try await send("GET", "/url").stringValue ?? ""
    }

    public func resize(width: Int, height: Int) async throws {
        try await send("POST", "/window/rect", ["width": .int(Int64(width)), "height": .int(Int64(height))])
    }

    /// The first element matching the CSS selector (waiting for it up to the implicit timeout).
    public func find(_ selector: String) async throws -> Element {
        let answer = try await send("POST", "/element", ["using": "css selector", "value": .string(selector)])
        guard let id = answer[Self.elementKey]?.stringValue else {
            throw Failure(error: "no element", message: selector)
        }
        return Element(driver: self, id: id)
    }

    public func findAll(_ selector: String) async throws -> [Element] {
        let answer = try await send("POST", "/elements", ["using": "css selector", "value": .string(selector)])
        return (answer.arrayValue ?? []).compactMap { $0[Self.elementKey]?.stringValue }.map {
            Element(driver: self, id: $0)
        }
    }

    /// How many elements match now, without waiting for one to appear.
    public func count(_ selector: String) async throws -> Int {
        Int(
            try await execute("return document.querySelectorAll(arguments[0]).length", [.string(selector)]).intValue
                ?? -1)
    }

    /// Runs `script` in the page (its `arguments` are `args`); its return value.
    @discardableResult
    public func execute(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        try await send("POST", "/execute/sync", ["script": .string(script), "args": .array(args)])
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1]` with its result when done.
    public func executeAsync(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        try await send("POST", "/execute/async", ["script": .string(script), "args": .array(args)])
    }

    /// Waits (polling, up to `seconds`) until `script` returns true in the page.
    public func wait(until script: String, seconds: Double = 15) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await execute(script) == .bool(true) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(error: "timeout", message: "never true: \(script)")
    }

    /// Opens `url` and waits for its page (`waitForPage`).
    /// Fails when the page noted a script error or a Content-Security-Policy violation.
    public func goAndWait(_ url: String) async throws {
        try await go(url)
        try await waitForPage()
    }

    /// Waits for the page's modules to finish drawing (`body[data-ready]`, set by app.js) and
    /// fails when it noted a script error or a Content-Security-Policy violation
    /// (`body[data-page-errors]`).
    public func waitForPage() async throws {
        try await wait(until: "return document.body.dataset.ready === 'true'")
        try await expectNoPageErrors()
    }

    public func expectNoPageErrors() async throws {
        let errors = try await execute("return document.body.dataset.pageErrors || ''")
        if let text = errors.stringValue, !text.isEmpty {
            throw Failure(error: "page error", message: "\(try await currentURL()): \(text)")
        }
    }

    /// The open alert's text, or nil when none is open.
    public func alertText() async throws -> String? {
        do {
            return try await send("GET", "/alert/text").stringValue
        } catch let failure as Failure where failure.error == "no such alert" {
            return nil
        }
    }

    /// A PNG of the viewport, saved as `.build/test-output/browser/<name>.png`.
    public func screenshot(_ name: String) async throws {
        let encoded = try await send("GET", "/screenshot").stringValue ?? ""
        let folder = repositoryRoot().appendingPathComponent(".build/test-output/browser")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(base64Encoded: encoded)?.write(to: folder.appendingPathComponent("\(name).png"))
    }

    /// Performs W3C input actions (a mouse drag, say) and releases them.
    public func perform(_ actions: JSONValue) async throws {
        try await send("POST", "/actions", ["actions": actions])
        try await send("DELETE", "/actions")
    }

    @discardableResult
    public func send(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await Self.call(base + path, method, body)
    }

    public static func call(_ url: String, _ method: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(string: body.jsonText)) }
        if body == nil && method == "POST" { request.body = .bytes(ByteBuffer(string: "{}")) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        let answer = text.isEmpty ? JSONValue.null : try JSONValue.parse(text)
        let value = answer["value"] ?? .null
        if response.status.code >= 400 {
            throw Failure(
                error: value["error"]?.stringValue ?? "HTTP \(response.status.code)",
                message: value["message"]?.stringValue ?? text)
        }
        // New Session answers {value: {sessionId, capabilities}}; everything else {value: …}.
        return value
    }

    public struct Element: Sendable {
        public let driver: WebDriver
        public let id: String
        var path: String { "/element/\(id)" }

        public func click() async throws { try await driver.send("POST", path + "/click") }
        public func clear() async throws { try await driver.send("POST", path + "/clear") }
        public func type(_ text: String) async throws {
            try await driver.send("POST", path + "/value", ["text": .string(text)])
        }
        public func text() async throws -> String { try await driver.send("GET", path + "/text").stringValue ?? "" }
        public func attribute(_ name: String) async throws -> String? {
            try await driver.send("GET", path + "/attribute/\(name)").stringValue
        }
        public func property(_ name: String) async throws -> JSONValue {
            try await driver.send("GET", path + "/property/\(name)")
        }
        public func find(_ selector: String) async throws -> Element {
            let answer = try await driver.send(
                "POST", path + "/element", ["using": "css selector", "value": .string(selector)])
            guard let id = answer[WebDriver.elementKey]?.stringValue else {
                throw Failure(error: "no element", message: selector)
            }
            return Element(driver: driver, id: id)
        }
        public func findAll(_ selector: String) async throws -> [Element] {
            let answer = try await driver.send(
                "POST", path + "/elements", ["using": "css selector", "value": .string(selector)])
            return (answer.arrayValue ?? []).compactMap { $0[WebDriver.elementKey]?.stringValue }.map {
                Element(driver: driver, id: $0)
            }
        }
        /// This element as a script argument.
        public var reference: JSONValue { [WebDriver.elementKey: .string(id)] }
    }
}
