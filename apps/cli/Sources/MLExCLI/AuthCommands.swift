import ArgumentParser
import Foundation
import MLExClient
import Wire

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an account and log in with it.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Your email address (asked when missing).") var email: String?
    @Option(help: "The name others see (default: the part of the email before @).") var name: String?
    @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            let email = try email ?? Prompt.line("Email: ")
            let password = try passwordStdin ? Prompt.line("") : Prompt.secret("Password (10 characters or more): ")
            if !passwordStdin, Console.stdinIsTerminal, try Prompt.secret("Password again: ") != password {
                throw ClientError.usage("the passwords differ")
            }
            let displayName = name ?? String(email.split(separator: "@").first ?? Substring(email))
            try await client.call(
                .users, .POST, "/v1/users",
                body: ["email": .string(email), "password": .string(password), "displayName": .string(displayName)],
                authenticated: false)
            try await client.login(email: email, password: password)
            Console.note("Registered \(email) and logged in to \(client.baseURL).")
        }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in; the session is kept in ~/.config/mlex/config (mode 0600).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Your email address (asked when missing).") var email: String?
    @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            let email = try email ?? Prompt.line("Email: ")
            let password = try passwordStdin ? Prompt.line("") : Prompt.secret("Password: ")
            let answer = try await client.login(email: email, password: password)
            Console.note("Logged in to \(client.baseURL) as \(answer["user"]?["email"]?.stringValue ?? email).")
        }
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End the session and forget its tokens.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            try await client.logout()
            Console.note("Logged out of \(client.baseURL).")
        }
    }
}

struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the account you are logged in as.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            let me = try await client.call(.users, .GET, "/v1/users/me")
            if output.json { return Console.json(me) }
            Console.fields([
                ("email", Console.cell(me["email"])), ("name", Console.cell(me["displayName"])),
                ("id", Console.cell(me["id"])),
                ("role", Console.cell(me["role"])), ("server", client.baseURL),
            ])
        }
    }
}
