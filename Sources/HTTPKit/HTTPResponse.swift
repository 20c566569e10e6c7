import Foundation

/// One HTTP response: status, headers and body, with typed access to the headers a REST client reads.
public struct HTTPResponse: Sendable, Equatable {
    /// The status code of the final response, for example 200.
    public var status: Int
    /// The response headers of the final response (interim 100 responses are dropped).
    public var headers: HTTPHeaders
    /// The response body, decoded from any content encoding.
    public var body: Data
    /// How many attempts the transport made to get this response (1 when it was not retried).
    public var attempts: Int

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data(), attempts: Int = 1) {
        self.status = status
        self.headers = headers
        self.body = body
        self.attempts = attempts
    }

    /// The `X-Total-Count` header as a number, when present and valid.
    public var totalCount: Int? {
        self.headers["X-Total-Count"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The targets of the `Link` header (RFC 8288) keyed by `rel`, for example `links["next"]`.
    public var links: [String: URL] {
        var result: [String: URL] = [:]
        for line in self.headers.values(for: "Link") {
            for entry in Self.splitLinkEntries(line) {
                guard let open = entry.firstIndex(of: "<"), let close = entry.firstIndex(of: ">"), open < close
                else { continue }
                let target = String(entry[entry.index(after: open)..<close])
                guard let url = URL(string: target) else { continue }
                for parameter in entry[entry.index(after: close)...].split(separator: ";") {
                    let pair = parameter.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel"
                    else { continue }
                    let rels = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
                    for rel in rels.split(separator: " ") { result[String(rel)] = url }
                }
            }
        }
        return result
    }

    /// The delay the server asked for in `Retry-After`, as seconds or as an HTTP date relative to `now`.
    public func retryAfter(now: Date = Date()) -> Duration? {
        guard let raw = self.headers["Retry-After"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            return nil
        }
        if let seconds = Int(raw) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: raw) else { return nil }
        return .milliseconds(max(0, Int((date.timeIntervalSince(now) * 1000).rounded())))
    }

    /// Splits a `Link` value at the commas that separate entries, not at commas inside `<…>` or quotes.
    private static func splitLinkEntries(_ line: String) -> [Substring] {
        var entries: [Substring] = []
        var start = line.startIndex
        var inAngle = false
        var inQuote = false
        var index = line.startIndex
        while index < line.endIndex {
            switch line[index] {
            case "<" where !inQuote: inAngle = true
            case ">" where !inQuote: inAngle = false
            case "\"" where !inAngle: inQuote.toggle()
            case "," where !inAngle && !inQuote:
                entries.append(line[start..<index])
                start = line.index(after: index)
            default: break
            }
            index = line.index(after: index)
        }
        entries.append(line[start...])
        return entries
    }
}
