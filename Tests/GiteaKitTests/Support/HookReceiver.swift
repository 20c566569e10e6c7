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

    private(set) var port = 0
    private var server: PythonServer?
    private let recordFile: URL

    private static let scriptURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GiteaServer/hook_receiver.py")

    /// Starts a receiver that checks signatures against `secret`.
    init(secret: String) throws {
        recordFile = TemporaryDirectory.root.appendingPathComponent("hooks-\(UUID().uuidString).ndjson")
        let arguments = [secret, recordFile.path]
        let server = try PythonServer(
            script: "hook_receiver",
            at: Self.scriptURL,
            arguments: arguments,
            stderrPath: "/dev/null"
        )
        self.server = server
        let output = server.output
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = output.availableData
            if chunk.isEmpty {
                stop()
                throw Failure(description: "the hook receiver exited before it listened")
            }
            buffer.append(chunk)
        }
        guard let ready = try? JSONSerialization.jsonObject(with: buffer) as? [String: Any],
            let port = ready["port"] as? Int
        else {
            stop()
            throw Failure(description: "the hook receiver said \(String(decoding: buffer, as: UTF8.self))")
        }
        server.pid = (ready["pid"] as? Int).map { Int32($0) }
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

    /// Stops the receiver (closing its stdin) and waits for it to end; later calls do nothing.
    func stop() {
        server?.stop()
        server = nil
    }
}
