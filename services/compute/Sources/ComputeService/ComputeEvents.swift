import Bus
import Outbox
import Platform
import Store

/// Compute's events on `mlex.compute` (docs/design.md §4): `mlex.compute.job.<state>` on every
/// transition (data sets the job's run status from them) and `mlex.compute.node.<verb>`,
/// written through the outbox with the change they announce.
enum ComputeEvents {
    static func write(_ type: String, subject: String, _ data: JSONValue) -> WriteOperation {
        Outbox.write(
            CloudEvent(source: "/mlex/compute", type: "mlex.compute.\(type)", subject: subject, data: data),
            to: Topics.compute)
    }
}
