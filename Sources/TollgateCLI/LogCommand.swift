import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate log DIR [--json]`: the evidence trail.
enum LogCommand {
    static func run(directory: URL, json: Bool, resources: ResourceBundle, output: Output) throws -> ExitCode {
        let session = try JobSession.open(at: directory, resources: resources, exclusive: false)
        for event in try session.events {
            if json {
                output.out(try StatusCommand.encode(event))
                continue
            }
            var line = "\(String(format: "%4d", event.seq))  \(event.at)  \(event.type)"
            if let phase = event.phase { line += "  phase \(phase)" }
            if let revision = event.revision, revision > 0 { line += " rev \(revision)" }
            let data = event.data.sorted { $0.key < $1.key }.filter { !$0.value.isEmpty }
                .map { "\($0.key)=\($0.value)" }
            if !data.isEmpty { line += "  " + data.joined(separator: " ") }
            output.out(line)
        }
        return .success
    }
}
