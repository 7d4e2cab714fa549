/// The combined log of a multi-worker job, as the executors write it: every line labelled with
/// its worker's rank the way `srun --label` does, `<rank>: <text>`, the rank left-padded with
/// spaces when there are ten workers or more.
enum WorkerLog {
    /// The rank and the text of one labelled line; nil rank for a line without a label (a
    /// message of the executor itself), which is kept whole.
    static func split(_ line: String) -> (rank: Int?, text: String) {
        let bytes = line.utf8
        var index = bytes.startIndex
        while index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        let digitsStart = index
        while index != bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            index = bytes.index(after: index)
        }
        let digits = bytes[digitsStart..<index]
        guard !digits.isEmpty, digits.count <= 4, index != bytes.endIndex, bytes[index] == UInt8(ascii: ":"),
            let rank = Int(String(decoding: digits, as: UTF8.self))
        else { return (nil, line) }
        index = bytes.index(after: index)
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        return (rank, String(decoding: bytes[index...], as: UTF8.self))
    }
}
