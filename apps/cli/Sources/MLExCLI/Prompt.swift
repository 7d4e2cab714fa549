import Foundation
import MLExClient

/// Asking the person at the terminal, or reading what a script pipes in.
enum Prompt {
    /// A line typed at the terminal (stderr shows the question), or the next line of stdin.
    static func line(_ question: String) throws -> String {
        if Console.stdinIsTerminal { Console.write(question, to: STDERR_FILENO) }
        guard let answer = readLine(strippingNewline: true) else {
            throw ClientError.usage("no input for: \(question)")
        }
        return answer
    }

    /// A secret typed without echo; from a pipe (`--password-stdin`), the first line of stdin.
    static func secret(_ question: String) throws -> String {
        guard Console.stdinIsTerminal else { return try line(question) }
        Console.write(question, to: STDERR_FILENO)
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            Console.write("\n", to: STDERR_FILENO)
        }
        guard let answer = readLine(strippingNewline: true) else { throw ClientError.usage("no password given") }
        return answer
    }
}
