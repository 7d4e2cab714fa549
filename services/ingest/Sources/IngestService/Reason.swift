import Platform

/// Why a package was refused, in terms a person can act on: the card field or the package
/// file concerned, and what is wrong with it.
/// Stored and answered as part of its ingestion: `field` and `file` only when known.
struct Reason: Codable, Sendable, Equatable {
    var field: String?
    var file: String?
    var message: String
}

/// The reasons of one rejection: the first `limit` are kept, the rest only counted, and
/// `list` ends with one more saying how many were left out. A package of 100,000 bad files once
/// made a 10 MB answer and a 20 MB listing of ingestions; a hundred is plenty to act on, and
/// every check collects into this type, so no path can store more. Long names are clipped too
/// (a card's unknown key can be megabytes).
struct Reasons: Sendable, Equatable, ExpressibleByArrayLiteral {
    static let limit = 100
    static let maxNameLength = 1024
    static let maxMessageLength = 2048

    private(set) var kept: [Reason] = []
    /// How many reasons beyond `limit` were left out.
    private(set) var omitted = 0

    init() {}

    init(arrayLiteral reasons: Reason...) {
        append(contentsOf: reasons)
    }

    init(_ reasons: some Sequence<Reason>) {
        append(contentsOf: reasons)
    }

    var isEmpty: Bool { kept.isEmpty }
    var count: Int { kept.count + omitted }

    mutating func append(_ reason: Reason) {
        guard kept.count < Self.limit else {
            omitted += 1
            return
        }
        kept.append(
            Reason(
                field: reason.field.map { Self.clip($0, Self.maxNameLength) },
                file: reason.file.map { Self.clip($0, Self.maxNameLength) },
                message: Self.clip(reason.message, Self.maxMessageLength)
            ))
    }

    mutating func append(contentsOf reasons: some Sequence<Reason>) {
        for reason in reasons { append(reason) }
    }

    mutating func append(contentsOf reasons: Reasons) {
        append(contentsOf: reasons.kept)
        omitted += reasons.omitted
    }

    /// What a rejection stores and answers: at most `limit` reasons, then the count of the rest.
    var list: [Reason] {
        guard omitted > 0 else { return kept }
        let summary =
            "…and \(Self.grouped(omitted)) more \(omitted == 1 ? "reason" : "reasons") (a rejection lists the first \(Self.limit))"
        return kept + [Reason(field: nil, file: nil, message: summary)]
    }

    private static func clip(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : text.prefix(length - 1) + "…"
    }

    /// 99900 → "99,900", whatever the process's locale.
    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0, digit != "-", digits[index - 1] != "-" { text.append(",") }
            text.append(digit)
        }
        return text
    }
}

/// What a check found: its value, or why it failed (at most `Reasons.limit` reasons kept).
enum Checked<Value: Sendable>: Sendable {
    case passed(Value)
    case failed(Reasons)
}
