/// A terminal session is a job whose endpoint is a shell (docs/endpoints.md, "Terminal
/// sessions"): compute gives it this command, and the agent writes the program it names into the
/// job's work dir before it starts.
public enum TerminalSession {
    /// The endpoint kind that asks for one.
    public static let kind = "terminal"
    /// The program's file in the job's work dir (/job in the sandbox).
    public static let scriptName = ".mlex-terminal.py"
    public static let defaultIdleSeconds = 3600
    public static let idleSecondsRange = 10...(7 * 86400)

    /// What the job runs: the program, stopping after `idleSeconds` with nothing typed or printed.
    public static func command(idleSeconds: Int) -> [String] {
        ["python3", "/job/\(scriptName)", "--idle-seconds", String(idleSeconds)]
    }
}
