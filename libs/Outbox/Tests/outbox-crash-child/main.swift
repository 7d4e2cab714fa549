import Bus
import Foundation
import Logging
import Outbox
import OutboxTestSupport
import Platform
import Store

// The process OutboxCrashTests kill with SIGKILL in the middle of their work:
//   outbox-crash-child write   <store>          (a SQLite path or a MongoDB URL, see CrashScenario.openStore)
//                                               batches of 50 items + 50 outbox events, forever
//   outbox-crash-child relay   <store> <bus>    an OutboxRelay, 20 events per publish
//   outbox-crash-child consume <store> <bus>    an EventConsumer counting events into `totals`
// Each writes one line per step it finished, unbuffered, so the test knows where it was killed.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: outbox-crash-child write|relay|consume <store> [<bus>]\n".utf8))
    exit(64)
}
let store = try CrashScenario.openStore(arguments[1])
try await CrashScenario.prepare(store)
var logger = Logger(label: "outbox-crash-child")
logger.logLevel = .error

switch arguments[0] {
case "write":
    for batch in 0... {
        try await store.batch(CrashScenario.writes(batch: batch))
        say("committed \(batch)")
    }
case "relay":
    let relay = OutboxRelay(store: store, bus: try SQLiteLogBus(path: arguments[2]), logger: logger, batchSize: 20)
    var relayed = 0
    while try await relay.relayOnce() > 0 {
        say("relayed")
        relayed += 1
        // Past the tenth batch (where the test kills it) it slows down, so a parent starved on a
        // busy machine still kills it mid-relay rather than after it drained everything.
        if relayed >= 10 { try await Task.sleep(for: .milliseconds(50)) }
    }
    say("drained")
case "consume":
    let consumer = CrashScenario.consumer(store: store, bus: try SQLiteLogBus(path: arguments[2]), logger: logger)
    try await consumer.run()
default:
    exit(64)
}
