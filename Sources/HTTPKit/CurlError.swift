/// A libcurl failure: the `CURLcode`, libcurl's message, and whether the request reached the server.
public struct CurlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad kind of failure, for deciding whether to retry and what to tell the user.
    public enum Kind: Sendable, Equatable {
        /// The host name (or proxy) could not be resolved.
        case couldNotResolve
        /// No TCP connection could be made (refused, unreachable).
        case couldNotConnect
        /// The connect or total timeout expired.
        case timedOut
        /// The TLS handshake or certificate verification failed.
        case tls
        /// Sending the request failed part-way.
        case sendFailed
        /// Receiving the response failed part-way, or the server closed the connection without answering.
        case receiveFailed
        /// libcurl itself could not be set up (out of memory, a bad option).
        case setup
        /// Anything else.
        case other
    }

    /// libcurl's raw `CURLcode` value (for example 7 for `CURLE_COULDNT_CONNECT`).
    public let code: Int
    /// libcurl's description of the code, plus the detail from its error buffer when there is one.
    public let message: String
    /// Whether any bytes of the request were sent before the failure.
    public let requestSent: Bool

    /// Creates an error from a raw code and message.
    public init(code: Int, message: String, requestSent: Bool) {
        self.code = code
        self.message = message
        self.requestSent = requestSent
    }

    /// The kind of failure, derived from the code.
    public var kind: Kind {
        switch self.code {
        case 5, 6: .couldNotResolve  // CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST
        case 7: .couldNotConnect  // CURLE_COULDNT_CONNECT
        case 28: .timedOut  // CURLE_OPERATION_TIMEDOUT
        case 35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91: .tls  // SSL_* and PEER_FAILED_VERIFICATION
        case 55: .sendFailed  // CURLE_SEND_ERROR
        case 18, 52, 56: .receiveFailed  // PARTIAL_FILE, GOT_NOTHING, RECV_ERROR
        case 2, 3, 4, 27, 43, 48: .setup  // FAILED_INIT, URL_MALFORMAT, NOT_BUILT_IN, OUT_OF_MEMORY, ...
        default: .other
        }
    }

    /// Whether the failure is one that may pass if the request is tried again.
    public var isTransient: Bool {
        switch self.kind {
        case .couldNotResolve, .couldNotConnect, .timedOut, .sendFailed, .receiveFailed: true
        case .tls, .setup, .other: false
        }
    }

    /// Whether the server's certificate was not trusted (`CURLE_PEER_FAILED_VERIFICATION`), or the CA file could
    /// not be read (`CURLE_SSL_CACERT_BADFILE`): the failures a CA file or skipping verification settles.
    public var isCertificateRefusal: Bool { self.code == 60 || self.code == 77 }

    /// What the user should check, in one sentence.
    public var hint: String {
        switch self.kind {
        case .couldNotResolve: "check the host name in the URL and the network's DNS"
        case .couldNotConnect: "check that the server is running and that the URL's host and port are right"
        case .timedOut: "the server did not answer in time; check the network, or raise the timeout"
        case .tls:
            "check the server's certificate; for a private certificate authority set the CA file "
                + "(TLS verification stays on unless it is turned off explicitly)"
        case .sendFailed, .receiveFailed: "the connection broke; check the server's logs and any proxy in between"
        case .setup: "libcurl could not start the request; this is likely a bug or a bad URL"
        case .other: "see libcurl's message"
        }
    }

    public var description: String { "curl error \(self.code): \(self.message)" }
}
