import MLExCLI

/// `mlex`'s entry point: the async root command runs under the async `main`.
@main
enum Entry {
    static func main() async {
        await MLex.main()
    }
}
