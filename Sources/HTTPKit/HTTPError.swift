import Foundation

/// Why a transport produced no response: it names the method and the URL, never the credentials.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// libcurl failed (after any retries).
        case transport(CurlError)
        /// The calling task was cancelled before a response arrived.
        case cancelled
    }

    /// The request's method.
    public let method: HTTPMethod
    /// The request's URL with user info and credential-like query values removed.
    public let url: String
    /// How many attempts were made.
    public let attempts: Int
    /// What went wrong.
    public let reason: Reason
    /// What the user should check, in one sentence; for a TLS failure it names the settings that fix it.
    public let hint: String

    /// Creates an error, redacting `url`.
    ///
    /// - Parameter hint: What to check; nil for the libcurl error's own hint.
    public init(method: HTTPMethod, url: URL, attempts: Int, reason: Reason, hint: String? = nil) {
        self.method = method
        self.url = Self.redacted(url)
        self.attempts = attempts
        self.reason = reason
        switch reason {
        case .transport(let error): self.hint = hint ?? error.hint
        case .cancelled: self.hint = hint ?? ""
        }
    }

    /// The libcurl error, when there is one.
    public var curlError: CurlError? {
        if case .transport(let error) = self.reason { return error }
        return nil
    }

    public var description: String {
        let tries = self.attempts == 1 ? "1 attempt" : "\(self.attempts) attempts"
        switch self.reason {
        case .transport(let error):
            return
                "\(self.method) \(self.url) failed after \(tries): \(error.message) (curl \(error.code)); \(self.hint)"
        case .cancelled:
            return "\(self.method) \(self.url) was cancelled after \(tries)"
        }
    }

    /// Names of query parameters whose values are credentials.
    private static let secretQueryNames: Set<String> = ["token", "access_token", "password", "secret", "key"]

    /// Returns `url` as a string without user info and with credential query values replaced.
    public static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return "<unparseable URL>"
        }
        if components.user != nil || components.password != nil {
            components.user = nil
            components.password = nil
        }
        if let items = components.queryItems {
            components.queryItems = items.map { item in
                Self.secretQueryNames.contains(item.name.lowercased())
                    ? URLQueryItem(name: item.name, value: "REDACTED") : item
            }
        }
        return components.string ?? "<unparseable URL>"
    }
}
