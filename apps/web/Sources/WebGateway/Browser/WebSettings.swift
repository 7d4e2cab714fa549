import Platform

/// Where the gateway finds the browser application and the Debian-packaged libraries it uses.
public enum WebSettings {
    public static let assets = Setting(
        "mlex.web.assets", default: "apps/web/Public",
        "Directory of the browser application (index.html and its modules), served at `/` and `/static/`. The default is the repository's copy, for `make run` from the repository root."
    )
    public static let vendor = Setting(
        "mlex.web.vendor", default: "/usr/share/javascript",
        "Directory of Debian's packaged JavaScript libraries (`libjs-dygraphs`), served at `/vendor/`."
    )
    public static let all = [assets, vendor]
}
