import Testing

@testable import ComputeAgent

@Suite("agent: the rank labels of a multi-worker job's log")
struct WorkerLogTests {
    @Test("srun --label's form, padded or not, splits into rank and text; anything else stays whole")
    func split() {
        #expect(WorkerLog.split("0: hello") == (0, "hello"))
        #expect(WorkerLog.split(" 7: ::mlex metric loss=1") == (7, "::mlex metric loss=1"))
        #expect(WorkerLog.split("12:") == (12, ""))
        #expect(WorkerLog.split("1:  two spaces kept") == (1, " two spaces kept"))
        #expect(WorkerLog.split("srun: error: task 1 failed") == (nil, "srun: error: task 1 failed"))
        #expect(WorkerLog.split("12345: too long a rank") == (nil, "12345: too long a rank"))
        #expect(WorkerLog.split("") == (nil, ""))
    }
}
