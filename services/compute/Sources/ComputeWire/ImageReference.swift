/// A container image reference as Docker parses it: `[host[:port]/]path[:tag][@sha256:hex]`,
/// e.g. `python:3.12-slim`, `ghcr.io/org/trainer:v2`, `mlex/py@sha256:…`. Checked at submission
/// so a typo is a 400 naming `image`, not a failed pull minutes later on a node.
public enum ImageReference {
    public static let rule =
        "image is a Docker reference: [registry/]name[:tag][@sha256:digest], lowercase name parts, at most 255 bytes"

    public static func isValid(_ reference: String) -> Bool {
        guard !reference.isEmpty, reference.utf8.count <= 255 else { return false }
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard digest.hasPrefix("sha256:"), digest.count == 71, digest.dropFirst(7).allSatisfy(\.isHexDigit) else {
                return false
            }
            rest = rest[..<at]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let last = components.popLast() else { return false }
        let nameAndTag = last.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if nameAndTag.count == 2 {
            let tag = nameAndTag[1]
            guard let first = tag.first, tag.count <= 128, first.isWordCharacter,
                tag.allSatisfy({ $0.isWordCharacter || $0 == "." || $0 == "-" })
            else { return false }
        }
        // The first of several components may be a registry host (has a dot or a port, or is localhost).
        if components.count >= 1, let host = components.first,
            host.contains(".") || host.contains(":") || host == "localhost"
        {
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":") })
            else { return false }
            components.removeFirst()
        }
        return (components + [nameAndTag[0]]).allSatisfy(isPathComponent)
    }

    /// Lowercase alphanumerics separated by one `.`, one or two `_`, or any number of `-`.
    private static func isPathComponent(_ part: Substring) -> Bool {
        guard let first = part.first, let last = part.last, first.isLowerAlnum, last.isLowerAlnum else { return false }
        var separator = ""
        for character in part {
            if character.isLowerAlnum {
                guard
                    separator.isEmpty || separator == "." || separator == "_" || separator == "__"
                        || separator.allSatisfy({ $0 == "-" })
                else { return false }
                separator = ""
            } else if character == "." || character == "_" || character == "-" {
                separator.append(character)
            } else {
                return false
            }
        }
        return true
    }
}

extension Character {
    fileprivate var isLowerAlnum: Bool { isASCII && (isLowercase || isNumber) }
    fileprivate var isWordCharacter: Bool { isASCII && (isLetter || isNumber || self == "_") }
}
