/// Objects and arrays still being written by `JSONValueEncoder`'s containers.
///
/// A container handed out for a nested object may be written to after its parent carries on,
/// so nested containers are references, turned into values only when the whole is taken.
/// Members set by value go straight into the final dictionary; only the rare nested container
/// (an enum's associated values, hand-written `encode(to:)`) is kept aside until then.
final class ObjectSlot {
    private(set) var members: [String: JSONValue]
    private var nested: [String: NestedSlot] = [:]

    init(members: [String: JSONValue] = [:]) {
        self.members = members
    }

    /// A later value replaces whatever the key held, nested container included.
    func set(_ value: JSONValue, for key: String) {
        members[key] = value
        if !nested.isEmpty { nested[key] = nil }
    }

    /// The object being written under `key`: the same one when asked twice, or one seeded with
    /// an object already encoded there (JSONEncoder merges both ways).
    func object(for key: String) -> ObjectSlot {
        switch nested[key] {
        case .object(let slot):
            return slot
        case .array:
            preconditionFailure("For key \"\(key)\" a unkeyed container has already been created.")
        case nil:
            let slot: ObjectSlot
            switch members[key] {
            case .object(let existing)?: slot = ObjectSlot(members: existing)
            case nil: slot = ObjectSlot()
            case _?:
                preconditionFailure(
                    "Attempt to re-encode into nested KeyedEncodingContainer for key \"\(key)\" is invalid: non-keyed container already encoded for this key"
                )
            }
            members[key] = nil
            nested[key] = .object(slot)
            return slot
        }
    }

    func array(for key: String) -> ArraySlot {
        switch nested[key] {
        case .array(let slot):
            return slot
        case .object:
            preconditionFailure("For key \"\(key)\" a keyed container has already been created.")
        case nil:
            let slot: ArraySlot
            switch members[key] {
            case .array(let existing)?: slot = ArraySlot(elements: existing)
            case nil: slot = ArraySlot()
            case _?:
                preconditionFailure(
                    "Attempt to re-encode into nested UnkeyedEncodingContainer for key \"\(key)\" is invalid: keyed container/single value already encoded for this key"
                )
            }
            members[key] = nil
            nested[key] = .array(slot)
            return slot
        }
    }

    var value: JSONValue {
        guard !nested.isEmpty else { return .object(members) }
        var all = members
        for (key, slot) in nested { all[key] = slot.value }
        return .object(all)
    }
}

final class ArraySlot {
    private var elements: [JSONValue]
    /// Positions of nested containers, whose elements hold a placeholder until taken.
    private var nested: [(index: Int, slot: NestedSlot)] = []

    init(elements: [JSONValue] = []) {
        self.elements = elements
    }

    var count: Int { elements.count }

    func append(_ value: JSONValue) {
        elements.append(value)
    }

    /// Where a `superEncoder()` asked for earlier puts its value once it is released.
    func insert(_ value: JSONValue, at index: Int) {
        elements.insert(value, at: index)
        for position in nested.indices where nested[position].index >= index {
            nested[position].index += 1
        }
    }

    func appendObject() -> ObjectSlot {
        let slot = ObjectSlot()
        nested.append((elements.count, .object(slot)))
        elements.append(.null)
        return slot
    }

    func appendArray() -> ArraySlot {
        let slot = ArraySlot()
        nested.append((elements.count, .array(slot)))
        elements.append(.null)
        return slot
    }

    var value: JSONValue {
        guard !nested.isEmpty else { return .array(elements) }
        var all = elements
        for (index, slot) in nested { all[index] = slot.value }
        return .array(all)
    }
}

enum NestedSlot {
    case object(ObjectSlot)
    case array(ArraySlot)

    var value: JSONValue {
        switch self {
        case .object(let slot): slot.value
        case .array(let slot): slot.value
        }
    }
}
