import Foundation
import MLExClient
import Testing
import Wire

@testable import MLExCLI

@Suite("task.yaml")
struct TaskFileTests {
    @Test("DDL's keys and the jobs API's are read with their types")
    func readsEveryKey() throws {
        let task = try TaskFile.parse(
            """
            project: vision
            name: mnist-small
            job_data:
              dataset:
                dataset_location: ./data
                dataset_name: mnist
            worker_required: 1
            resources: {cpus: 0.5, memoryMB: 512, gpus: 0}
            params:
              lr: 0.01
              epochs: 3
              optimizer: adam
              shuffle: true
              tag: "3"
            env: {MODE: fast, LEVEL: 2}
            timeoutSeconds: 600
            priority: 70
            queue: gpu
            retries: 1
            template: python-cpu
            """)
        #expect(task.project == "vision")
        #expect(task.name == "mnist-small")
        #expect(task.datasetLocation == "./data")
        #expect(task.datasetName == "mnist")
        #expect(task.workers == 1)
        #expect(task.resources == ["cpus": 0.5, "memoryMB": 512, "gpus": 0])
        #expect(task.params == ["lr": 0.01, "epochs": 3, "optimizer": "adam", "shuffle": true, "tag": "3"])
        #expect(task.env == ["MODE": "fast", "LEVEL": "2"])
        #expect(task.timeoutSeconds == 600 && task.priority == 70 && task.retries == 1)
        #expect(task.queue == "gpu" && task.template == "python-cpu")
        #expect(task.command == nil)
    }

    @Test("an unknown key names itself, its line and the closest valid key")
    func unknownKeyIsNamed() throws {
        let error = #expect(throws: ClientError.self) {
            try TaskFile.parse("project: p\nresources:\n  cpus: 1\n  memoryMb: 512\n")
        }
        let message = try #require(error).description
        #expect(message.contains("task.yaml:4"), "\(message)")
        #expect(message.contains("unknown key \"resources.memoryMb\""), "\(message)")
        #expect(message.contains("did you mean \"resources.memoryMB\"?"), "\(message)")

        let nested = try #require(
            #expect(throws: ClientError.self) {
                try TaskFile.parse("job_data:\n  dataset:\n    dataset_locaton: ./d\n")
            })
        #expect(nested.description.contains("did you mean \"job_data.dataset.dataset_location\"?"), "\(nested)")

        let far = try #require(#expect(throws: ClientError.self) { try TaskFile.parse("gpu_count: 2\n") })
        #expect(far.description.contains("unknown key \"gpu_count\"; valid here:"), "\(far)")
    }

    @Test("wrong types and contradictions are refused naming the key")
    func wrongTypes() throws {
        for (text, expected) in [
            ("worker_required: two\n", "\"worker_required\" is a whole number"),
            ("resources: {cpus: lots}\n", "\"resources.cpus\" is a number"),
            ("params: {nested: {a: 1}}\n", "\"params\" holds name: value pairs"),
            ("worker_required: 1\nworkers: 1\n", "not both"),
            ("- a\n- b\n", "a task file is a mapping"),
            ("job_data: {dataset: {dataset_name: x}}\n", "dataset_name needs job_data.dataset.dataset_location"),
        ] {
            let error = try #require(#expect(throws: ClientError.self) { try TaskFile.parse(text) }, "\(text)")
            #expect(error.description.contains(expected), "\(text) → \(error)")
        }
    }

    @Test("a command is a list, or one line split at spaces")
    func commands() throws {
        #expect(
            try TaskFile.parse("command: [python3, train.py, --fast]\n").command == ["python3", "train.py", "--fast"])
        #expect(try TaskFile.parse("command: python3 train.py\n").command == ["python3", "train.py"])
    }

    @Test("edit distance and suggestions")
    func suggestions() {
        #expect(KeySuggestion.distance("kitten", "sitting") == 3)
        #expect(KeySuggestion.closest(to: "timeout", among: ["timeoutSeconds", "priority"]) == nil)
        #expect(KeySuggestion.closest(to: "timeoutSecond", among: ["timeoutSeconds", "priority"]) == "timeoutSeconds")
        #expect(KeySuggestion.closest(to: "PARAMS", among: ["params", "env"]) == "params")
    }
}
