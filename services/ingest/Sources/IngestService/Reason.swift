import Platform

/// Why a package was refused, in terms a person can act on: the card field or the package
/// file concerned, and what is wrong with it.
struct Reason: Sendable, Equatable {
    var field: String?
    var file: String?
    var message: String

    var json: JSONValue {
        var value: JSONValue = ["message": .string(message)]
        if let field { value["field"] = .string(field) }
        if let file { value["file"] = .string(file) }
        return value
    }
}

/// What a check found: its value, or every reason it failed.
enum Checked<Value: Sendable>: Sendable {
    case passed(Value)
    case failed([Reason])
}
