/// Model names as every service checks them — a job's `registerModel`, the hub, an ingested
/// card — so a name one accepts is never refused by another.
public enum ModelName {
    public static let rule = "a model name is 1 to 100 letters, digits, . _ -"

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && name.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
    }
}
