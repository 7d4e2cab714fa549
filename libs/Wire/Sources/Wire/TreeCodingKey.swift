/// The keys Foundation's JSON coders put into coding paths for array positions and `super`
/// ("Index 3" with intValue 3), so paths, and the 400s that name a field by them, read the
/// same whether a document was coded through text or directly.
enum TreeCodingKey: CodingKey {
    case string(String)
    case int(Int)
    case index(Int)

    static let `super` = TreeCodingKey.string("super")

    init?(stringValue: String) {
        self = .string(stringValue)
    }

    init?(intValue: Int) {
        self = .int(intValue)
    }

    var stringValue: String {
        switch self {
        case .string(let text): text
        case .int(let number): "\(number)"
        case .index(let index): "Index \(index)"
        }
    }

    var intValue: Int? {
        switch self {
        case .string: nil
        case .int(let number), .index(let number): number
        }
    }
}

extension Array where Element == any CodingKey {
    /// This path with `key` added, if there is one: errors name the member or element at fault.
    func appending(_ key: (any CodingKey)?) -> [any CodingKey] {
        guard let key else { return self }
        return self + [key]
    }
}
