/// Cuts one worker's output into whole lines labelled with its rank, in the format of
/// `srun --label`: `<rank>: <text>\n`. Lines of the job's log then never interleave mid-line
/// between workers, and readers (the agent's log pump) know which rank wrote what.
///
/// Memory stays bounded: a line longer than `maximumLineBytes` is cut into lines of at most that
/// many bytes (at a UTF-8 character boundary where one is near).
struct RankLabeler {
    static let maximumLineBytes = 64 * 1024
    static let newline = UInt8(ascii: "\n")

    private let label: [UInt8]
    private var pending: [UInt8] = []

    init(rank: Int) {
        label = Array("\(rank): ".utf8)
    }

    /// The labelled lines `bytes` completes (possibly none); an unfinished line waits for more.
    mutating func lines(completedBy bytes: some Collection<UInt8>) -> [UInt8] {
        var labelled: [UInt8] = []
        var rest = bytes[...]
        while let end = rest.firstIndex(of: Self.newline) {
            pending.append(contentsOf: rest[..<end])
            cutOverlongLines(into: &labelled)
            emit(pending[...], into: &labelled)
            pending.removeAll(keepingCapacity: true)
            rest = rest[rest.index(after: end)...]
        }
        pending.append(contentsOf: rest)
        cutOverlongLines(into: &labelled)
        return labelled
    }

    /// The unfinished last line, ended with a newline: the worker's output is over.
    mutating func finish() -> [UInt8] {
        guard !pending.isEmpty else { return [] }
        var labelled: [UInt8] = []
        emit(pending[...], into: &labelled)
        pending.removeAll()
        return labelled
    }

    private mutating func cutOverlongLines(into labelled: inout [UInt8]) {
        while pending.count > Self.maximumLineBytes {
            let cut = Self.characterBoundary(in: pending, near: Self.maximumLineBytes)
            emit(pending[..<cut], into: &labelled)
            pending.removeFirst(cut)
        }
    }

    private func emit(_ text: ArraySlice<UInt8>, into labelled: inout [UInt8]) {
        labelled.append(contentsOf: label)
        labelled.append(contentsOf: text)
        labelled.append(Self.newline)
    }

    /// `offset`, moved back past UTF-8 continuation bytes (at most 3) so no character is split;
    /// `offset` itself when the bytes are not UTF-8 there.
    static func characterBoundary(in bytes: [UInt8], near offset: Int) -> Int {
        var cut = offset
        while cut > offset - 3, cut > 1, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return bytes[cut] & 0xC0 == 0x80 ? offset : cut
    }
}
