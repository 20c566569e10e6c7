import Foundation
import TollgateTestSupport

/// A webhook receiver for tests (`Tests/GiteaServer/hook_receiver.py`): it records every delivery with its headers
/// and body, and checks both signature headers against the secret it was started with.
final class HookReceiver {
    /// One delivery as the receiver saw it.
    struct Delivery {
        let path: String
        /// Header names are lower-cased.
        let headers: [String: String]
        let body: String
        let giteaSignatureValid: Bool
        let hubSignatureValid: Bool

        /// The body as a JSON object.
        var payload: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    private let process: Process
    private let input: Pipe
    private let recordFile: URL

    private static let scriptURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GiteaServer/hook_receiver.py")

    /// Starts a receiver that checks signatures against `secret`.
    init(secret: String) throws {
        recordFile = TemporaryDirectory.root.appendingPathComponent("hooks-\(UUID().uuidString).ndjson")
        process = Process()
        Python.configure(process, arguments: [Self.scriptURL.path, secret, recordFile.path])
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw Failure(description: "the hook receiver exited before it listened") }
            buffer.append(chunk)
        }
        guard let ready = try JSONSerialization.jsonObject(with: buffer) as? [String: Any],
            let port = ready["port"] as? Int
        else { throw Failure(description: "the hook receiver said \(String(decoding: buffer, as: UTF8.self))") }
        self.port = port
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: recordFile)
    }

    /// The URL of `path` on the receiver.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The deliveries received so far.
    func deliveries() throws -> [Delivery] {
        guard let text = try? String(contentsOf: recordFile, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failure(description: "a bad record line: \(line)")
            }
            return Delivery(
                path: object["path"] as? String ?? "",
                headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "",
                giteaSignatureValid: object["giteaSignatureValid"] as? Bool ?? false,
                hubSignatureValid: object["hubSignatureValid"] as? Bool ?? false
            )
        }
    }

    /// Stops the receiver (closing its stdin).
    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
