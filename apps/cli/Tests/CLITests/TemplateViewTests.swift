import Testing
import Wire

@testable import MLExCLI

@Suite("mlex templates")
struct TemplateViewTests {
    @Test("a row shows the image or host, the defaults, each range set, and the project or global")
    func rows() throws {
        let host = try JSONValue.parse(
            """
            {"name": "python-cpu", "runtime": "host", "defaultResources": {"cpus": 1, "memoryMB": 2048, "gpus": 0},
             "ranges": {"cpus": {"min": 0.25, "max": 32}, "gpus": {"min": 0, "max": 0}}}
            """)
        #expect(
            TemplateView.row(host) == ["python-cpu", "host", "1 cpu, 2048 MB, 0 GPU", "cpus 0.25-32, gpus 0", "global"])

        let project = try JSONValue.parse(
            """
            {"name": "mine", "image": "pytorch/pytorch:2.5.1", "projectId": "p1", "defaultResources": {"cpus": 0.5, "memoryMB": 512, "gpus": 1},
             "ranges": {"memoryMB": {"max": 4096}, "gpus": {"min": 1}, "cpus": {}}}
            """)
        #expect(
            TemplateView.row(project) == [
                "mine", "pytorch/pytorch:2.5.1", "0.5 cpu, 512 MB, 1 GPU", "memoryMB ≤4096, gpus ≥1", "p1",
            ])
        #expect(TemplateView.ranges(["name": "open"]) == "-")
    }

    @Test("show lists setup in order and the environment sorted")
    func fields() throws {
        let template = try JSONValue.parse(
            """
            {"name": "t", "runtime": "host", "setup": ["cd /job", "make"], "env": {"B": "2", "A": "1"}, "createdBy": "seed"}
            """)
        let fields = Dictionary(uniqueKeysWithValues: TemplateView.fields(template))
        #expect(fields["setup"] == "cd /job && make")
        #expect(fields["env"] == "A=1 B=2")
        #expect(fields["image"] == "host" && fields["project"] == "global")
    }
}
